// gensym, time, printout, format and type: the builtins that talk to the host.
import { EngineError } from '../errors.ts';
import { argTypeError, defineFunction, type FunctionDef, type FunctionHost } from '../functions.ts';
import { type Atom, atomString, NIL, printForm, Sym, typeOf, type Value, VOID } from '../values.ts';
import { argAt, intArg } from './math.ts';

// CLIPS 6.30 cannot see Sym's private table, so gensym* (which skips symbols already in use)
// produces the same gen<N> sequence as gensym here.
const gensym = (host: FunctionHost): Sym => Sym.of(`gen${host.nextGensym()}`);

const setgen = defineFunction('setgen', 1, 1, (args, host) => {
  const n = intArg('setgen', args, 0);
  if (n < 1n) throw argTypeError('setgen', 1, 'number (greater than or equal to 1)');
  host.setGensym(Number(n));
  return n;
});

/** A logical name argument: symbols, strings and numbers are accepted, as in CLIPS. */
function logicalName(fn: string, args: Value[]): string {
  const v = argAt(fn, args, 0);
  if (typeof v === 'object' && !(v instanceof Sym)) {
    throw argTypeError(fn, 1, 'symbol, string, or number');
  }
  return atomString(v as Atom);
}

const CONTROL: ReadonlyMap<Sym, string> = new Map([
  [Sym.of('crlf'), '\n'],
  [Sym.of('tab'), '\t'],
  [Sym.of('vtab'), '\v'],
  [Sym.of('ff'), '\f'],
]);

// CLIPS's printout returns no value at all (VOID prints as nothing).
const printout = defineFunction('printout', 1, -1, (args, host) => {
  const name = logicalName('printout', args);
  let text = '';
  for (const v of args.slice(1)) {
    const control = v instanceof Sym ? CONTROL.get(v) : undefined;
    text += control ?? printForm(v);
  }
  host.write(name, text);
  return VOID;
});

// ---- format -------------------------------------------------------------------------------

/** The exact value of a finite, non-negative double as num / den (den a power of two). */
function exactRational(x: number): [bigint, bigint] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let exp = -1074;
  if (biased !== 0) {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  return exp >= 0 ? [mant << BigInt(exp), 1n] : [mant, 1n << BigInt(-exp)];
}

/** num / den rounded half-to-even, as glibc's printf rounds exact binary values. */
function roundHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const twice = 2n * (num - q * den);
  return twice > den || (twice === den && (q & 1n) === 1n) ? q + 1n : q;
}

/** %.<prec>f of a non-negative finite double. */
function fixed(x: number, prec: number): string {
  const [num, den] = exactRational(x);
  const digits = roundHalfEven(num * 10n ** BigInt(prec), den).toString();
  if (prec === 0) return digits;
  const s = digits.padStart(prec + 1, '0');
  return `${s.slice(0, -prec)}.${s.slice(-prec)}`;
}

/** The prec+1 significant digits and decimal exponent of a non-negative finite double. */
function scientific(x: number, prec: number): [string, number] {
  if (x === 0) return ['0'.repeat(prec + 1), 0];
  const [num, den] = exactRational(x);
  const at = (e: number): bigint => {
    const k = e - prec;
    return k >= 0
      ? roundHalfEven(num, den * 10n ** BigInt(k))
      : roundHalfEven(num * 10n ** BigInt(-k), den);
  };
  const limit = 10n ** BigInt(prec + 1);
  let e = Math.floor(Math.log10(x));
  let m = at(e);
  // log10 can be off by one near powers of ten, and rounding can carry into a new digit.
  while (m >= limit) m = at(++e);
  while (m < limit / 10n) m = at(--e);
  return [m.toString(), e];
}

function expForm(digits: string, e: number, upper = false): string {
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exp = `${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return `${mant}${upper ? 'E' : 'e'}${exp}`;
}

function formatFloatSpec(conv: string, x: number, precision: number | undefined): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return 'inf';
  const p = precision ?? 6;
  if (conv === 'f') return fixed(x, p);
  if (conv === 'e') {
    const [digits, e] = scientific(x, p);
    return expForm(digits, e);
  }
  // %g: precision counts significant digits; trailing zeros are dropped.
  const sig = p === 0 ? 1 : p;
  const [digits, e] = scientific(x, sig - 1);
  const s = e < -4 || e >= sig ? expForm(digits, e) : fixed(x, sig - 1 - e);
  return s.replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
}

interface Spec {
  readonly flags: string;
  readonly conv: string;
}
type Piece = string | Spec;

const ARG_CONVERSIONS = new Set(['d', 'f', 'g', 'e', 's', 'c', 'x', 'o']);
const SPEC_RE = /^(-?)(\d*)(?:\.(\d*))?$/;

/** Splits a format string into literal text and conversion specs; rejects unknown flags. */
function parseFormat(fmt: string): Piece[] {
  const pieces: Piece[] = [];
  let lit = '';
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i] as string;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    let j = i + 1;
    while (j < fmt.length && /[-0-9.]/.test(fmt[j] as string)) j++;
    const flags = fmt.slice(i + 1, j);
    const conv = fmt[j];
    if (conv === undefined) {
      // A trailing '%' is copied as is: (format nil "abc%") is "abc%".
      lit += fmt.slice(i);
      break;
    }
    if (conv === 'n' || conv === 't' || conv === 'r') {
      lit += conv === 'n' ? '\n' : conv === 't' ? '\t' : '\r';
    } else if (conv === '%') {
      lit += flags === '' ? '%' : `%${flags}%`;
    } else if (ARG_CONVERSIONS.has(conv) && SPEC_RE.test(flags)) {
      if (lit !== '') pieces.push(lit);
      lit = '';
      pieces.push({ flags, conv });
    } else {
      throw new EngineError(
        'NAU_ENGINE_RUNTIME',
        `invalid format flag "%${flags}${conv}" specified in function format`,
      );
    }
    i = j + 1;
  }
  if (lit !== '') pieces.push(lit);
  return pieces;
}

function pad(body: string, sign: string, flags: string, numeric: boolean): string {
  const m = SPEC_RE.exec(flags);
  const left = m?.[1] === '-';
  const widthText = m?.[2] ?? '';
  const width = widthText === '' ? 0 : Number(widthText);
  const zero = numeric && !left && widthText.startsWith('0');
  const len = sign.length + body.length;
  if (len >= width) return sign + body;
  const fill = width - len;
  if (left) return sign + body + ' '.repeat(fill);
  return zero ? sign + '0'.repeat(fill) + body : ' '.repeat(fill) + sign + body;
}

function precisionOf(flags: string): number | undefined {
  const p = SPEC_RE.exec(flags)?.[3];
  return p === undefined ? undefined : p === '' ? 0 : Number(p);
}

function formatOne(spec: Spec, v: Value, index: number): string {
  const { flags, conv } = spec;
  const precision = precisionOf(flags);
  switch (conv) {
    case 's': {
      if (typeof v !== 'string' && !(v instanceof Sym)) {
        throw argTypeError('format', index, 'symbol or string');
      }
      const text = typeof v === 'string' ? v : v.name;
      return pad(precision === undefined ? text : text.slice(0, precision), '', flags, false);
    }
    case 'c': {
      let ch: string;
      if (typeof v === 'string') ch = v.slice(0, 1);
      else if (v instanceof Sym) ch = v.name.slice(0, 1);
      else if (typeof v === 'bigint') ch = String.fromCharCode(Number(BigInt.asUintN(8, v)));
      else throw argTypeError('format', index, 'symbol, string, or integer');
      return pad(ch, '', flags, false);
    }
    default: {
      if (typeof v !== 'bigint' && typeof v !== 'number') {
        throw argTypeError('format', index, 'integer or float');
      }
      if (conv === 'f' || conv === 'e' || conv === 'g') {
        const x = Number(v);
        const negative = x < 0 || Object.is(x, -0);
        const body = formatFloatSpec(conv, Math.abs(x), precision);
        return pad(body, negative ? '-' : '', flags, Number.isFinite(x));
      }
      // Integer conversions truncate a FLOAT argument: (format nil "%d" 2.7) is "2".
      const n = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number.isFinite(v) ? v : 0));
      let sign = '';
      let body: string;
      if (conv === 'd') {
        sign = n < 0n ? '-' : '';
        body = (n < 0n ? -n : n).toString();
      } else {
        // %x and %o print the 64-bit two's complement, like C's unsigned conversions.
        body = BigInt.asUintN(64, n).toString(conv === 'x' ? 16 : 8);
      }
      if (precision !== undefined) body = body.padStart(precision, '0');
      return pad(
        body,
        sign,
        precision === undefined ? flags : flags.replace(/^(-?)0+/, '$1'),
        true,
      );
    }
  }
}

/** CLIPS `format`: returns the formatted STRING and writes it unless the logical name is nil. */
const format = defineFunction('format', 2, -1, (args, host) => {
  const name = logicalName('format', args);
  const fmt = argAt('format', args, 1);
  if (typeof fmt !== 'string') throw argTypeError('format', 2, 'string');
  const pieces = parseFormat(fmt);
  const needed = 2 + pieces.filter((p) => typeof p !== 'string').length;
  if (args.length !== needed) {
    throw new EngineError(
      'NAU_ENGINE_ARGUMENTS',
      `function format expects exactly ${needed} argument(s), got ${args.length}`,
    );
  }
  let out = '';
  let next = 2;
  for (const p of pieces) {
    if (typeof p === 'string') out += p;
    else {
      out += formatOne(p, args[next] as Value, next + 1);
      next++;
    }
  }
  if (name !== NIL.name) host.write(name, out);
  return out;
});

const type = defineFunction('type', 1, 1, (args) => Sym.of(typeOf(argAt('type', args, 0))));

export const MISC_FUNCTIONS: readonly FunctionDef[] = [
  defineFunction('gensym', 0, 0, (_args, host) => gensym(host)),
  defineFunction('gensym*', 0, 0, (_args, host) => gensym(host)),
  setgen,
  defineFunction('time', 0, 0, (_args, host) => host.now()),
  printout,
  format,
  type,
];
