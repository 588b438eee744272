// Nautilus's list host functions. Each list argument may be a multifield or an encoded string.
import type { Value } from '../../engine/index.ts';
import { atomText, listItems } from './values.ts';

/** True when the two lists share an item. */
export function overlaps(a: Value, b: Value): boolean {
  const right = new Set(listItems(b));
  return listItems(a).some((x) => right.has(x));
}

/** True when `item` is not in `list` (a multifield item: none of its items is). */
export function notInList(item: Value, list: Value): boolean {
  const items = new Set(listItems(list));
  const wanted = Array.isArray(item) ? listItems(item) : [atomText(item) ?? ''];
  return wanted.every((x) => !items.has(x));
}

/** True when every item of `a` is in `b` (an empty `a` is contained in anything). */
export function containsAll(a: Value, b: Value): boolean {
  const right = new Set(listItems(b));
  return listItems(a).every((x) => right.has(x));
}
