// Facts in working memory.
import type { Template } from './template.ts';
import type { AlphaEntry } from './token.ts';
import { displayForm, type FactRef, type Multifield, type Value } from './values.ts';

export class Fact implements FactRef {
  retracted = false;
  /** Alpha-memory entries this fact produced, newest first (linked through `nextOfFact`),
   *  removed again on retract. A list, not an array: see `key-map.ts` on stale references. */
  entries: AlphaEntry | null = null;
  /** Neighbours in the template's list of live facts. */
  tprev: Fact | null = null;
  tnext: Fact | null = null;

  constructor(
    readonly id: number,
    readonly template: Template,
    readonly slots: readonly Value[],
    /** Hash of the slot values, for duplicate detection (`fact-index.ts`). */
    readonly hash: number,
  ) {}

  /** Value of a slot by name (ordered facts: `implied`). */
  get(slot: string): Value | undefined {
    const i = this.template.slotIndex.get(slot);
    return i === undefined ? undefined : this.slots[i];
  }

  /** The CLIPS printed form: `(flag 1 2)` or `(flag (n 1) (tags a b))`. */
  toString(): string {
    return formatFact(this.template, this.slots);
  }
}

/** The live facts of one template in assertion (= id) order: O(1) add and delete. */
export class FactList implements Iterable<Fact> {
  head: Fact | null = null;
  tail: Fact | null = null;
  size = 0;

  add(f: Fact): void {
    f.tprev = this.tail;
    f.tnext = null;
    if (this.tail === null) this.head = f;
    else this.tail.tnext = f;
    this.tail = f;
    this.size++;
  }

  delete(f: Fact): void {
    if (f.tprev === null) {
      if (this.head !== f) return;
      this.head = f.tnext;
    } else f.tprev.tnext = f.tnext;
    if (f.tnext === null) this.tail = f.tprev;
    else f.tnext.tprev = f.tprev;
    f.tprev = null;
    f.tnext = null;
    this.size--;
  }

  /** Facts in order; the current fact may be deleted while iterating. */
  *values(): IterableIterator<Fact> {
    for (let f = this.head; f !== null; ) {
      const next: Fact | null = f.tnext;
      yield f;
      f = next;
    }
  }

  [Symbol.iterator](): IterableIterator<Fact> {
    return this.values();
  }
}

export function formatFact(tmpl: Template, slots: readonly Value[]): string {
  if (tmpl.implied) {
    const items = slots[0] as Multifield;
    return items.length === 0 ? `(${tmpl.name})` : `(${tmpl.name} ${displayForm(items).slice(1)}`;
  }
  let s = `(${tmpl.name}`;
  tmpl.slots.forEach((def, i) => {
    const v = slots[i] as Value;
    if (def.multi) {
      const body = displayForm(v).slice(1, -1);
      s += body === '' ? ` (${def.name})` : ` (${def.name} ${body})`;
    } else {
      s += ` (${def.name} ${displayForm(v)})`;
    }
  });
  return `${s})`;
}
