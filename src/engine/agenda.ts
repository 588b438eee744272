// The agenda of one module under CLIPS's default depth strategy: highest salience first, then
// the most recently created activation (CLIPS 6.30 places every new activation above the
// existing ones of equal salience). Removal is lazy: a removed activation is marked dead and
// skipped, so adding and removing are O(1) amortized.
import type { Disjunct, Rule } from './rule.ts';
import type { Token } from './token.ts';

export class Activation {
  dead = false;
  constructor(
    readonly disjunct: Disjunct,
    readonly token: Token,
    readonly salience: number,
    /** Creation counter; higher = newer. */
    readonly timetag: number,
  ) {}

  get rule(): Rule {
    return this.disjunct.rule;
  }
}

export class Agenda {
  /** Salience -> activations in creation order (newest last). */
  private readonly buckets = new Map<number, Activation[]>();
  /** Saliences present, sorted descending. */
  private saliences: number[] = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  add(act: Activation): void {
    let b = this.buckets.get(act.salience);
    if (b === undefined) {
      b = [];
      this.buckets.set(act.salience, b);
      this.saliences.push(act.salience);
      this.saliences.sort((x, y) => y - x);
    }
    b.push(act);
    this.live++;
  }

  remove(act: Activation): void {
    if (act.dead) return;
    act.dead = true;
    this.live--;
  }

  /** Removes and returns the activation to fire next, or undefined when empty. */
  pop(): Activation | undefined {
    for (const s of this.saliences) {
      const b = this.buckets.get(s) as Activation[];
      while (b.length > 0) {
        const act = b.pop() as Activation;
        if (!act.dead) {
          act.dead = true;
          this.live--;
          return act;
        }
      }
    }
    return undefined;
  }

  /** Live activations in firing order. */
  list(): Activation[] {
    const out: Activation[] = [];
    for (const s of this.saliences) {
      const b = this.buckets.get(s) as Activation[];
      for (let i = b.length - 1; i >= 0; i--) {
        const a = b[i] as Activation;
        if (!a.dead) out.push(a);
      }
    }
    return out;
  }

  /** Drops dead entries when they dominate a bucket (keeps memory bounded under churn). */
  compact(): void {
    for (const [s, b] of this.buckets) {
      if (b.length > 64) {
        const kept = b.filter((a) => !a.dead);
        this.buckets.set(s, kept);
      }
    }
  }

  clear(): void {
    for (const b of this.buckets.values()) for (const a of b) a.dead = true;
    this.buckets.clear();
    this.saliences = [];
    this.live = 0;
  }
}
