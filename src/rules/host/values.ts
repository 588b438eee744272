// Reading CLIPS values inside host functions: the text of an atom (strings and symbols alike,
// so a STRING "secret" and a SYMBOL secret mean the same level), numbers, and list arguments
// given either as multifields or as space-separated strings.
import { Sym, type Value } from '../../engine/index.ts';
import { splitList } from './lists-encoding.ts';

/** The text of a single atom, or undefined for multifields and fact addresses. */
export function atomText(v: Value): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Sym) return v.name;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}.0` : String(v);
  return undefined;
}

export function numberOf(v: Value): number | undefined {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  const t = atomText(v);
  if (t === undefined || t.trim() === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** The items of a list argument: a multifield's atoms, or the tokens of a string. */
export function listItems(v: Value): string[] {
  if (Array.isArray(v))
    return v.map((a) => atomText(a)).filter((t): t is string => t !== undefined);
  const t = atomText(v);
  if (t === undefined) return [];
  return typeof v === 'string' || v instanceof Sym ? splitList(t) : [t];
}
