// Facts in working memory.
import type { Template } from './template.ts';
import type { AlphaEntry } from './token.ts';
import { displayForm, type FactRef, type Multifield, type Value } from './values.ts';

export class Fact implements FactRef {
  retracted = false;
  /** Alpha-memory entries this fact produced, removed again on retract. */
  entries: AlphaEntry[] = [];

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
