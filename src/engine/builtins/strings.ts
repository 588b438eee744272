// String builtins. CLIPS 6.30 counts characters as UTF-8 code points (str-length "é" is 1) but
// upcase/lowcase only touch ASCII letters and str-compare orders by UTF-8 bytes (strcmp).
import { Buffer } from 'node:buffer';
import { argTypeError, defineFunction, type FunctionDef } from '../functions.ts';
import { Lexer, type Token } from '../lexer.ts';
import { type Atom, atomString, FALSE, Sym, type Value } from '../values.ts';
import { argAt, intArg } from './math.ts';

const LEXEME = 'symbol, string, or instance name';

/** The text of a STRING or SYMBOL argument. */
export function lexemeArg(fn: string, args: Value[], i: number): string {
  const v = argAt(fn, args, i);
  if (typeof v === 'string') return v;
  if (v instanceof Sym) return v.name;
  throw argTypeError(fn, i + 1, LEXEME);
}

export const codePoints = (s: string): string[] => Array.from(s);

/** A token as a field: atoms as themselves, anything else (parens, variables, &) as a STRING. */
export function tokenField(text: string, t: Token): Atom {
  return t.value !== undefined ? t.value : text.slice(t.start, t.end);
}

/** str-cat / sym-cat: one argument's unquoted print form; multifields are rejected. */
function catText(fn: string, args: Value[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const v = argAt(fn, args, i);
    if (Array.isArray(v) || (typeof v === 'object' && !(v instanceof Sym))) {
      throw argTypeError(fn, i + 1, 'string, instance name, symbol, float, or integer');
    }
    out += atomString(v as Atom);
  }
  return out;
}

const strCat = defineFunction('str-cat', 1, -1, (args) => catText('str-cat', args));
const symCat = defineFunction('sym-cat', 1, -1, (args) => Sym.of(catText('sym-cat', args)));

// (str-index "" "abc") is 4 in CLIPS: an empty needle matches just past the end.
const strIndex = defineFunction('str-index', 2, 2, (args) => {
  const needle = lexemeArg('str-index', args, 0);
  const hay = lexemeArg('str-index', args, 1);
  if (needle === '') return BigInt(codePoints(hay).length + 1);
  const at = hay.indexOf(needle);
  return at < 0 ? FALSE : BigInt(codePoints(hay.slice(0, at)).length + 1);
});

// 6.30 normalises the strcmp/strncmp result to -1, 0 or 1.
const strCompare = defineFunction('str-compare', 2, 3, (args) => {
  let a = Buffer.from(lexemeArg('str-compare', args, 0), 'utf8');
  let b = Buffer.from(lexemeArg('str-compare', args, 1), 'utf8');
  if (args.length > 2) {
    const n = intArg('str-compare', args, 2);
    // A negative length becomes a huge size_t in C, i.e. a full comparison.
    if (n >= 0n) {
      a = a.subarray(0, Number(n));
      b = b.subarray(0, Number(n));
    }
  }
  return BigInt(Buffer.compare(a, b));
});

const strLength = defineFunction('str-length', 1, 1, (args) =>
  BigInt(codePoints(lexemeArg('str-length', args, 0)).length),
);

// Indexes are clamped to the string; an empty range gives "". The result is always a STRING.
const subString = defineFunction('sub-string', 3, 3, (args) => {
  const start = intArg('sub-string', args, 0);
  const end = intArg('sub-string', args, 1);
  const chars = codePoints(lexemeArg('sub-string', args, 2));
  const from = start < 1n ? 1 : Number(start);
  const to = end > BigInt(chars.length) ? chars.length : Number(end);
  return from > to ? '' : chars.slice(from - 1, to).join('');
});

function changeCase(fn: string, re: RegExp, conv: (s: string) => string): FunctionDef {
  return defineFunction(fn, 1, 1, (args) => {
    const v = argAt(fn, args, 0);
    const text = lexemeArg(fn, args, 0).replace(re, conv);
    return v instanceof Sym ? Sym.of(text) : text;
  });
}

// The first token of the text as a field; empty text gives the symbol EOF, like CLIPS.
const stringToField = defineFunction('string-to-field', 1, 1, (args) => {
  const text = lexemeArg('string-to-field', args, 0);
  const t = new Lexer(text).next();
  return t.kind === 'EOF' ? Sym.of('EOF') : tokenField(text, t);
});

export const STRING_FUNCTIONS: readonly FunctionDef[] = [
  strCat,
  symCat,
  strIndex,
  strCompare,
  strLength,
  subString,
  changeCase('upcase', /[a-z]+/g, (s) => s.toUpperCase()),
  changeCase('lowcase', /[A-Z]+/g, (s) => s.toLowerCase()),
  stringToField,
];
