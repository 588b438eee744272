// Multifield builtins. Indexes are 1-based; read-only functions clamp or return nil out of
// range, while delete$/replace$/insert$ reject bad ranges (MULTIFUN1) as CLIPS does.
import { EngineError } from '../errors.ts';
import { argTypeError, defineFunction, type FunctionDef } from '../functions.ts';
import { Lexer } from '../lexer.ts';
import {
  type Atom,
  atomString,
  FALSE,
  type Multifield,
  NIL,
  Sym,
  sameValue,
  type Value,
} from '../values.ts';
import { argAt, intArg } from './math.ts';
import { codePoints, tokenField } from './strings.ts';

function mfArg(fn: string, args: Value[], i: number): Multifield {
  const v = argAt(fn, args, i);
  if (Array.isArray(v)) return v as Multifield;
  throw argTypeError(fn, i + 1, 'multifield');
}

/** Splices multifield arguments into one flat list (create$, insert$, replace$). Sized up
 *  front and filled by index: pushing (with spreads) regrows the array as it goes. */
function flatten(values: readonly Value[]): Atom[] {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as Value;
    n += Array.isArray(v) ? v.length : 1;
  }
  const out = new Array<Atom>(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as Value;
    if (Array.isArray(v)) {
      const m = v as Multifield;
      for (let j = 0; j < m.length; j++) out[k++] = m[j] as Atom;
    } else out[k++] = v as Atom;
  }
  return out;
}

function rangeError(fn: string, start: bigint, end: bigint, length: number): EngineError {
  const what = start === end ? `index ${start}` : `index range ${start}..${end}`;
  return new EngineError(
    'NAU_ENGINE_RUNTIME',
    `multifield ${what} out of range 1..${length} in function ${fn}`,
  );
}

const create = defineFunction('create$', 0, -1, (args) => flatten(args));

// Tokens that are not atoms (parens, variables, &) become STRINGs, as in CLIPS.
const explode = defineFunction('explode$', 1, 1, (args) => {
  const text = argAt('explode$', args, 0);
  if (typeof text !== 'string') throw argTypeError('explode$', 1, 'string');
  const lexer = new Lexer(text);
  const out: Atom[] = [];
  for (let t = lexer.next(); t.kind !== 'EOF'; t = lexer.next()) out.push(tokenField(text, t));
  return out;
});

// Strings inside are quoted and escaped: (implode$ (create$ a "b c")) is "a \"b c\"".
const implode = defineFunction('implode$', 1, 1, (args) =>
  mfArg('implode$', args, 0)
    .map((a) => atomString(a, true))
    .join(' '),
);

/** length$ (and the 6.30 alias length) also count the characters of a string or symbol. */
function lengthOf(fn: string): FunctionDef {
  return defineFunction(fn, 1, 1, (args) => {
    const v = argAt(fn, args, 0);
    if (Array.isArray(v)) return BigInt(v.length);
    if (typeof v === 'string') return BigInt(codePoints(v).length);
    if (v instanceof Sym) return BigInt(codePoints(v.name).length);
    throw argTypeError(fn, 1, 'multifield, symbol, or string');
  });
}

/**
 * member$ of a single field gives its 1-based index; of a multifield, the (begin end) pair of
 * the first matching run. An empty run matches at 1, giving (1 0), unless the list is empty.
 */
/** `member$` of an item in a list (the list already checked to be a multifield). */
function memberOf(item: Value, list: Multifield): Value {
  if (!Array.isArray(item)) {
    // A plain loop: a findIndex callback would be a closure per call (member$ runs in rule
    // tests and set-union loops).
    for (let i = 0; i < list.length; i++) {
      if (sameValue(list[i] as Atom, item as Atom)) return BigInt(i + 1);
    }
    return FALSE;
  }
  const run = item as Multifield;
  for (let i = 0; i < list.length && i + run.length <= list.length; i++) {
    if (run.every((a, k) => sameValue(a, list[i + k] as Atom))) {
      return [BigInt(i + 1), BigInt(i + run.length)];
    }
  }
  return FALSE;
}

const member: FunctionDef = {
  ...defineFunction('member$', 2, 2, (args) =>
    memberOf(argAt('member$', args, 0), mfArg('member$', args, 1)),
  ),
  binary: (item, list) => {
    if (!Array.isArray(list)) throw argTypeError('member$', 2, 'multifield');
    return memberOf(item, list as Multifield);
  },
};

const nth = defineFunction('nth$', 2, 2, (args) => {
  const n = intArg('nth$', args, 0);
  const list = mfArg('nth$', args, 1);
  return n < 1n || n > BigInt(list.length) ? NIL : (list[Number(n) - 1] as Atom);
});

const subseq = defineFunction('subseq$', 3, 3, (args) => {
  const list = mfArg('subseq$', args, 0);
  const start = intArg('subseq$', args, 1);
  const end = intArg('subseq$', args, 2);
  const from = start < 1n ? 1 : Number(start);
  const to = end > BigInt(list.length) ? list.length : Number(end);
  return from > to ? [] : list.slice(from - 1, to);
});

const first = defineFunction('first$', 1, 1, (args) => mfArg('first$', args, 0).slice(0, 1));
const rest = defineFunction('rest$', 1, 1, (args) => mfArg('rest$', args, 0).slice(1));

// insert$ only checks the lower bound: an index past the end appends.
const insert = defineFunction('insert$', 3, -1, (args) => {
  const list = mfArg('insert$', args, 0);
  const at = intArg('insert$', args, 1);
  if (at < 1n) throw rangeError('insert$', at, at, list.length + 1);
  const i = at > BigInt(list.length) ? list.length : Number(at) - 1;
  return [...list.slice(0, i), ...flatten(args.slice(2)), ...list.slice(i)];
});

function checkedRange(fn: string, args: Value[]): [Multifield, number, number] {
  const list = mfArg(fn, args, 0);
  const start = intArg(fn, args, 1);
  const end = intArg(fn, args, 2);
  if (start < 1n || end > BigInt(list.length) || start > end) {
    throw rangeError(fn, start, end, list.length);
  }
  return [list, Number(start), Number(end)];
}

const del = defineFunction('delete$', 3, 3, (args) => {
  const [list, start, end] = checkedRange('delete$', args);
  return [...list.slice(0, start - 1), ...list.slice(end)];
});

const replace = defineFunction('replace$', 4, -1, (args) => {
  const [list, start, end] = checkedRange('replace$', args);
  return [...list.slice(0, start - 1), ...flatten(args.slice(3)), ...list.slice(end)];
});

// The evaluator splices the result into the enclosing call; here it is just the multifield.
const expand = defineFunction('expand$', 1, 1, (args) => mfArg('expand$', args, 0));

export const MULTIFIELD_FUNCTIONS: readonly FunctionDef[] = [
  create,
  explode,
  implode,
  lengthOf('length$'),
  lengthOf('length'),
  member,
  nth,
  subseq,
  first,
  rest,
  insert,
  del,
  replace,
  expand,
];
