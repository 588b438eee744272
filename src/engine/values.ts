// CLIPS values as JS values. The representation keeps CLIPS typing exact and cheap to hash:
//   STRING  -> JS string           SYMBOL  -> interned Sym (identity-comparable)
//   INTEGER -> bigint (64-bit)     FLOAT   -> JS number
//   MULTIFIELD -> readonly array of atoms   FACT-ADDRESS -> FactRef
// Map/Set keys compare bigints and strings by value and Syms by identity, so a Value is its own
// hash key wherever a single atom is indexed.

export class Sym {
  private static readonly table = new Map<string, Sym>();
  /** A short, unique handle for composite hash keys (see `valueKey`). */
  readonly key: string;
  private constructor(
    readonly name: string,
    /** Interning order. */
    readonly id: number,
  ) {
    this.key = `|y${id}`;
  }
  static of(name: string): Sym {
    let s = Sym.table.get(name);
    if (s === undefined) {
      s = new Sym(name, Sym.table.size);
      Sym.table.set(name, s);
    }
    return s;
  }
  toString(): string {
    return this.name;
  }
}

/** A fact as seen by values: its index and whether it is still in working memory. */
export interface FactRef {
  readonly id: number;
  readonly retracted: boolean;
}

export type Atom = string | Sym | bigint | number | FactRef;
export type Multifield = readonly Atom[];
export type Value = Atom | Multifield;

export const TRUE = Sym.of('TRUE');
export const FALSE = Sym.of('FALSE');
export const NIL = Sym.of('nil');
/** What CLIPS's void functions (printout, run, facts, ...) return: prints as nothing. */
export const VOID = Sym.of('');

export type TypeName = 'SYMBOL' | 'STRING' | 'INTEGER' | 'FLOAT' | 'MULTIFIELD' | 'FACT-ADDRESS';

export function typeOf(v: Value): TypeName {
  switch (typeof v) {
    case 'string':
      return 'STRING';
    case 'bigint':
      return 'INTEGER';
    case 'number':
      return 'FLOAT';
    default:
      if (v instanceof Sym) return 'SYMBOL';
      if (Array.isArray(v)) return 'MULTIFIELD';
      return 'FACT-ADDRESS';
  }
}

export const isSym = (v: Value): v is Sym => v instanceof Sym;
export const isMultifield = (v: Value): v is Multifield => Array.isArray(v);
export const isNumber = (v: Value): v is bigint | number =>
  typeof v === 'bigint' || typeof v === 'number';
export const isLexeme = (v: Value): v is string | Sym => typeof v === 'string' || v instanceof Sym;
export const isFactRef = (v: Value): v is FactRef =>
  typeof v === 'object' && !(v instanceof Sym) && !Array.isArray(v);

export const bool = (b: boolean): Sym => (b ? TRUE : FALSE);
/** CLIPS truth: everything except the symbol FALSE is true. */
export const truthy = (v: Value): boolean => v !== FALSE;

/** Wraps a 64-bit signed integer result the way CLIPS's `long long` arithmetic does. */
export const int64 = (n: bigint): bigint => BigInt.asIntN(64, n);

/** CLIPS equality as used by eq / pattern literals: same type and same value. */
export function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i] as Atom, b[i] as Atom)) return false;
    return true;
  }
  // NaN never equals itself in CLIPS either; everything else is covered by ===.
  return false;
}

/** Formats a FLOAT like CLIPS's "%.15g" and appends ".0" when the result looks integral. */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  let s: string;
  // %g picks exponent notation when the exponent is < -4 or >= the precision.
  const p = Number(x.toPrecision(15));
  const e = Math.floor(Math.log10(Math.abs(p)));
  if (e < -4 || e >= 15) {
    const [mant = '', ex = '0'] = p.toExponential(14).split('e');
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const n = Number(ex);
    s = `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  } else {
    s = p.toFixed(Math.max(0, 14 - e));
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  if (!/[.e]/.test(s)) s += '.0';
  return s;
}

/** Quotes a string the way CLIPS prints STRING values in fact listings and `print` forms. */
export function quoteString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function atomText(v: Atom, quote: boolean): string {
  switch (typeof v) {
    case 'string':
      return quote ? quoteString(v) : v;
    case 'bigint':
      return v.toString();
    case 'number':
      return formatFloat(v);
    default:
      if (v instanceof Sym) return v.name;
      return `<Fact-${v.id}>`;
  }
}

/**
 * The printed form used by printout: a top-level string without quotes; a multifield as its
 * items in parentheses, strings inside it quoted (as CLIPS 6.30 prints `(a "b" 1)`).
 */
export function printForm(v: Value): string {
  if (Array.isArray(v)) return `(${(v as Multifield).map((a) => atomText(a, true)).join(' ')})`;
  return atomText(v as Atom, false);
}

/** The form used in fact listings and watch traces: every string quoted. */
export function displayForm(v: Value): string {
  if (Array.isArray(v)) return `(${(v as Multifield).map((a) => atomText(a, true)).join(' ')})`;
  return atomText(v as Atom, true);
}

/** One atom's text, strings quoted or not (str-cat and sym-cat use the unquoted form). */
export const atomString = (v: Atom, quote = false): string => atomText(v, quote);

/**
 * A compact string that identifies a value exactly (type-tagged, strings length-prefixed), for
 * composite hash keys: duplicate-fact detection and multi-variable join keys.
 */
export function valueKey(v: Value): string {
  switch (typeof v) {
    case 'string':
      return `|s${v.length}:${v}`;
    case 'bigint':
      return `|i${v}`;
    case 'number':
      return `|f${Object.is(v, -0) ? '-0' : v}`;
    default:
      if (v instanceof Sym) return v.key;
      if (Array.isArray(v)) {
        let k = `|m${v.length}(`;
        for (const a of v as Multifield) k += valueKey(a);
        return `${k})`;
      }
      return `|F${(v as FactRef).id}`;
  }
}
