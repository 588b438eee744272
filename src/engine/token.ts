// Partial matches flowing through the beta network.
import type { Activation } from './agenda.ts';
import type { Fact } from './fact.ts';
import type { AlphaMemory, BetaNode } from './rete.ts';
import type { Value } from './values.ts';

/** One way a fact matches an alpha memory: the values it contributes, in the memory's layout. */
export class AlphaEntry {
  /** Tokens built from this entry (by any node), oldest first; removed on retract. */
  children: Token[] | null = null;
  /** The entry's key in each index of its alpha memory. */
  readonly keys: unknown[] = [];
  constructor(
    readonly fact: Fact,
    readonly vals: readonly Value[],
    readonly alpha: AlphaMemory,
  ) {}

  addChild(t: Token): void {
    if (this.children === null) this.children = [t];
    else this.children.push(t);
  }
}

/** How a token shows in watch traces: a fact, `*` (not/exists), or nothing (test CE). */
export type TokenShow = Fact | '*' | null;

export class Token {
  /** Tokens built on this one, oldest first (usually very few, so an array). */
  children: Token[] | null = null;
  activation: Activation | null = null;
  /** Not/exists nodes: how many right entries currently match this token. */
  count = 0;
  /** Where the token is stored: the node that received it and its bucket key. */
  owner: BetaNode | null = null;
  key: unknown = undefined;
  entry: AlphaEntry | null = null;
  /** The node that built this token from `entry` (a shared entry feeds several nodes). */
  source: BetaNode | null = null;

  constructor(
    readonly parent: Token | null,
    readonly vals: Value[],
    readonly show: TokenShow,
  ) {}

  addChild(t: Token): void {
    if (this.children === null) this.children = [t];
    else this.children.push(t);
  }

  /** The facts (or `*`) of each pattern CE in rule order, for watch traces. */
  basis(): Array<Fact | '*'> {
    const out: Array<Fact | '*'> = [];
    for (let t: Token | null = this; t !== null; t = t.parent)
      if (t.show !== null) out.push(t.show);
    return out.reverse();
  }
}

/** Removes one element from a small array (children lists, buckets), searching from the end. */
export function dropFrom<T>(list: T[] | null, x: T): void {
  if (list === null) return;
  const i = list.lastIndexOf(x);
  if (i >= 0) list.splice(i, 1);
}
