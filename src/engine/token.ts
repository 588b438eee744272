// Partial matches flowing through the beta network. Tokens sit in three intrusive doubly linked
// lists (their node's bucket, their parent's children, their alpha entry's children), so adding
// and removing one is O(1) whatever order matches come and go in.
import type { Activation } from './agenda.ts';
import type { Fact } from './fact.ts';
import type { AlphaMemory, BetaNode, TokenList } from './rete.ts';
import type { Value } from './values.ts';

/** One way a fact matches an alpha memory: the values it contributes, in the memory's layout. */
export class AlphaEntry {
  /** Tokens built from this entry (by any node), oldest at the head; removed on retract. */
  kidsHead: Token | null = null;
  kidsTail: Token | null = null;
  /** The entry's key in its alpha memory's first index, and in the others (rarely any). */
  key0: unknown = undefined;
  moreKeys: unknown[] | null = null;
  constructor(
    readonly fact: Fact,
    readonly vals: readonly Value[],
    readonly alpha: AlphaMemory,
  ) {}

  keyAt(slot: number): unknown {
    return slot === 0 ? this.key0 : (this.moreKeys as unknown[])[slot - 1];
  }

  setKey(slot: number, key: unknown): void {
    if (slot === 0) {
      this.key0 = key;
      return;
    }
    if (this.moreKeys === null) this.moreKeys = [];
    this.moreKeys[slot - 1] = key;
  }

  addChild(t: Token): void {
    t.eprev = this.kidsTail;
    t.enext = null;
    if (this.kidsTail === null) this.kidsHead = t;
    else this.kidsTail.enext = t;
    this.kidsTail = t;
  }

  dropChild(t: Token): void {
    if (t.eprev === null) this.kidsHead = t.enext;
    else t.eprev.enext = t.enext;
    if (t.enext === null) this.kidsTail = t.eprev;
    else t.enext.eprev = t.eprev;
    t.eprev = null;
    t.enext = null;
  }
}

/** How a token shows in watch traces: a fact, `*` (not/exists), or nothing (test CE). */
export type TokenShow = Fact | '*' | null;

export class Token {
  /** Tokens built on this one, oldest at the head. */
  kidsHead: Token | null = null;
  kidsTail: Token | null = null;
  activation: Activation | null = null;
  /** Not/exists nodes: how many right entries currently match this token. */
  count = 0;
  /** Where the token is stored: the node that received it and the bucket it sits in (none
   *  for test and terminal nodes, which never look their tokens up). */
  owner: BetaNode | null = null;
  bucket: TokenList | null = null;
  entry: AlphaEntry | null = null;
  /** Neighbours in the owner's bucket (see TokenList). */
  lprev: Token | null = null;
  lnext: Token | null = null;
  /** Neighbours among the parent's children. */
  cprev: Token | null = null;
  cnext: Token | null = null;
  /** Neighbours among the alpha entry's children. */
  eprev: Token | null = null;
  enext: Token | null = null;

  constructor(
    readonly parent: Token | null,
    readonly vals: Value[],
    readonly show: TokenShow,
  ) {}

  addChild(t: Token): void {
    t.cprev = this.kidsTail;
    t.cnext = null;
    if (this.kidsTail === null) this.kidsHead = t;
    else this.kidsTail.cnext = t;
    this.kidsTail = t;
  }

  dropChild(t: Token): void {
    if (t.cprev === null) this.kidsHead = t.cnext;
    else t.cprev.cnext = t.cnext;
    if (t.cnext === null) this.kidsTail = t.cprev;
    else t.cnext.cprev = t.cprev;
    t.cprev = null;
    t.cnext = null;
  }

  /** The facts (or `*`) of each pattern CE in rule order, for watch traces. */
  basis(): Array<Fact | '*'> {
    const out: Array<Fact | '*'> = [];
    for (let t: Token | null = this; t !== null; t = t.parent)
      if (t.show !== null) out.push(t.show);
    return out.reverse();
  }
}

/** Removes one element from a small array (alpha index buckets), searching from the end. */
export function dropFrom<T>(list: T[] | null, x: T): void {
  if (list === null) return;
  const i = list.lastIndexOf(x);
  if (i >= 0) list.splice(i, 1);
}
