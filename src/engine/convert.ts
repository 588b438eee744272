// Conversions between plain JS values (the TypeScript API) and CLIPS values.
import { EngineError } from './errors.ts';
import type { SlotDef } from './template.ts';
import { type Atom, FALSE, isFactRef, isMultifield, NIL, Sym, TRUE, type Value } from './values.ts';

/** What the API accepts for a slot value. `Sym.of('x')` forces a SYMBOL. */
export type JsValue = string | number | bigint | boolean | null | Sym | readonly JsAtom[] | Value;
export type JsAtom = string | number | bigint | boolean | null | Sym;

/** `conversionOf` flags: strings become SYMBOLs; integral numbers stay FLOATs. */
export const STRINGS_AS_SYMBOLS = 1;
export const NUMBERS_AS_FLOATS = 2;

/** How `toValue` converts JS strings and numbers for a slot (see there); templates keep it per
 *  slot (`Template.conversions`) so asserts do not look the slot's types up for every value. */
export function conversionOf(slot: SlotDef | null): number {
  const types = slot?.types ?? null;
  if (types === null) return 0;
  return (
    (types.has('SYMBOL') && !types.has('STRING') ? STRINGS_AS_SYMBOLS : 0) |
    (types.has('FLOAT') && !types.has('INTEGER') ? NUMBERS_AS_FLOATS : 0)
  );
}

/**
 * Converts a JS value for a slot. Strings become STRING unless the slot only allows SYMBOL (then
 * SYMBOL); integral numbers become INTEGER unless the slot only allows FLOAT; booleans become
 * TRUE/FALSE; null becomes nil; arrays become multifields.
 */
export function toValue(v: JsValue, slot: SlotDef | null, where: string): Value {
  return convertValue(v, conversionOf(slot), where);
}

/** `toValue` with the slot's `conversionOf` already known. */
export function convertValue(v: JsValue, conversion: number, where: string): Value {
  if (Array.isArray(v) || isMultifield(v as Value)) {
    // Converted in a copy by index (no callback closure per multislot value).
    const out = (v as readonly (JsAtom | Atom)[]).slice() as Atom[];
    for (let i = 0; i < out.length; i++)
      out[i] = toAtom(out[i] as JsAtom | Atom, conversion, where);
    return out;
  }
  return toAtom(v as JsAtom, conversion, where);
}

function toAtom(v: JsAtom | Atom, conversion: number, where: string): Atom {
  switch (typeof v) {
    case 'string':
      return (conversion & STRINGS_AS_SYMBOLS) !== 0 ? Sym.of(v) : v;
    case 'bigint':
      return v;
    case 'number':
      if (Number.isInteger(v) && (conversion & NUMBERS_AS_FLOATS) === 0) return toBigInt(v);
      return v;
    case 'boolean':
      return v ? TRUE : FALSE;
    case 'object':
      if (v === null) return NIL;
      if (v instanceof Sym || isFactRef(v as Value)) return v as Atom;
      break;
  }
  throw new EngineError(
    'NAU_ENGINE_SLOT_TYPE',
    `cannot convert ${String(v)} to a CLIPS value (${where})`,
  );
}

/** BigInts of small integers, made once: a bigint is a heap object, and counts such as a
 *  `record_count` of 3 would otherwise cost one per asserted fact (bigints compare by value,
 *  so sharing them is invisible). */
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

function toBigInt(n: number): bigint {
  return n >= 0 && n < SMALL_BIGINTS.length ? (SMALL_BIGINTS[n] as bigint) : BigInt(n);
}

/** A CLIPS value as plain JS: symbols and strings as strings, integers as numbers when safe. */
export function fromValue(v: Value): unknown {
  if (isMultifield(v)) return v.map((a) => fromValue(a));
  if (typeof v === 'bigint') {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(v)
      : v;
  }
  if (v instanceof Sym) return v.name;
  if (isFactRef(v)) return { fact: v.id };
  return v;
}

/** A JSON-safe, type-preserving encoding used by snapshots. */
export type Encoded = string | number | { s: string } | { i: string } | Encoded[];

export function encodeValue(v: Value): Encoded {
  if (isMultifield(v)) return v.map((a) => encodeValue(a));
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return { i: v.toString() };
  if (v instanceof Sym) return { s: v.name };
  throw new EngineError('NAU_ENGINE_SLOT_TYPE', 'fact addresses cannot be snapshotted');
}

export function decodeValue(e: Encoded): Value {
  if (Array.isArray(e)) return e.map((x) => decodeValue(x) as Atom);
  if (typeof e === 'string' || typeof e === 'number') return e;
  if ('i' in e) return BigInt(e.i);
  return Sym.of(e.s);
}
