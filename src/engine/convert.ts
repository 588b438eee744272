// Conversions between plain JS values (the TypeScript API) and CLIPS values.
import { EngineError } from './errors.ts';
import type { SlotDef } from './template.ts';
import { type Atom, FALSE, isFactRef, isMultifield, NIL, Sym, TRUE, type Value } from './values.ts';

/** What the API accepts for a slot value. `Sym.of('x')` forces a SYMBOL. */
export type JsValue = string | number | bigint | boolean | null | Sym | readonly JsAtom[] | Value;
export type JsAtom = string | number | bigint | boolean | null | Sym;

/**
 * Converts a JS value for a slot. Strings become STRING unless the slot only allows SYMBOL (then
 * SYMBOL); integral numbers become INTEGER unless the slot only allows FLOAT; booleans become
 * TRUE/FALSE; null becomes nil; arrays become multifields.
 */
export function toValue(v: JsValue, slot: SlotDef | null, where: string): Value {
  if (Array.isArray(v) || isMultifield(v as Value)) {
    return (v as readonly JsAtom[]).map((x) => toAtom(x, slot, where));
  }
  return toAtom(v as JsAtom, slot, where);
}

function toAtom(v: JsAtom | Atom, slot: SlotDef | null, where: string): Atom {
  const types = slot?.types ?? null;
  switch (typeof v) {
    case 'string':
      return types?.has('SYMBOL') && !types.has('STRING') ? Sym.of(v) : v;
    case 'bigint':
      return v;
    case 'number':
      if (Number.isInteger(v) && !(types?.has('FLOAT') && !types.has('INTEGER'))) {
        return BigInt(v);
      }
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
