// Classification hierarchies and compartments. Levels compare by text, so STRING and SYMBOL
// arguments behave alike (Fathom's generated rank deffunctions ranked every STRING as -1).
// Unknown levels fail closed (Fathom let an unknown classification be dominated by everyone):
//   rank(unknown) = number of levels, above every known level;
//   meets-or-exceeds(a, b) and dominates need both levels known and rank(a) >= rank(b);
//   below(a, b) is the complement of meets-or-exceeds, so it is true when either is unknown;
//   within-scope(a, b) is true when both are known.
import type { Value } from '../../engine/index.ts';
import { atomText, listItems } from './values.ts';

export class Ranking {
  private readonly index: ReadonlyMap<string, number>;

  constructor(
    readonly key: string,
    readonly levels: readonly string[],
  ) {
    this.index = new Map(levels.map((l, i) => [l, i]));
  }

  private position(level: Value): number | undefined {
    const t = Array.isArray(level) ? undefined : atomText(level);
    return t === undefined ? undefined : this.index.get(t);
  }

  rank(level: Value): number {
    return this.position(level) ?? this.levels.length;
  }

  meetsOrExceeds(a: Value, b: Value): boolean {
    const ra = this.position(a);
    const rb = this.position(b);
    return ra !== undefined && rb !== undefined && ra >= rb;
  }

  below(a: Value, b: Value): boolean {
    return !this.meetsOrExceeds(a, b);
  }

  withinScope(a: Value, b: Value): boolean {
    return this.position(a) !== undefined && this.position(b) !== undefined;
  }
}

/** Compartments of a value: a multifield's items, or a string split on `|` and whitespace
 *  (Fathom split on `|`, Nautilus joined with spaces; both spellings are accepted). */
export function compartments(v: Value): Set<string> {
  const items = Array.isArray(v) ? listItems(v) : (atomText(v) ?? '').split(/[|\s]+/);
  return new Set(items.map((s) => s.trim()).filter((s) => s !== ''));
}

/** True when the subject holds every compartment of `required` (and it names at least one). */
export function hasCompartment(subject: Value, required: Value): boolean {
  const req = compartments(required);
  const held = compartments(subject);
  return req.size > 0 && [...req].every((c) => held.has(c));
}

/** True when the subject's compartments include all of `required` (none required: true). */
export function compartmentsSuperset(subject: Value, required: Value): boolean {
  const held = compartments(subject);
  return [...compartments(required)].every((c) => held.has(c));
}

/** `fathom-dominates`: level a meets level b in the named hierarchy and a's compartments cover
 *  b's. An unknown hierarchy or level is FALSE. */
export function dominates(
  rankings: ReadonlyMap<string, Ranking>,
  levelA: Value,
  compsA: Value,
  levelB: Value,
  compsB: Value,
  hierarchy: Value,
): boolean {
  const r = rankings.get(atomText(hierarchy) ?? '');
  if (r === undefined) return false;
  return r.meetsOrExceeds(levelA, levelB) && compartmentsSuperset(compsA, compsB);
}
