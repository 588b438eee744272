// Partial matches flowing through the beta network.
import type { Activation } from './agenda.ts';
import type { Fact } from './fact.ts';
import type { BetaNode, PatternNode } from './rete.ts';
import type { Value } from './values.ts';

/** One way a fact matches a pattern: the values it contributes to the rule's binding vector. */
export class AlphaEntry {
  /** Tokens built from this entry, removed when the fact is retracted. */
  readonly children = new Set<Token>();
  constructor(
    readonly fact: Fact,
    readonly vals: readonly Value[],
    readonly key: unknown,
    readonly node: PatternNode,
  ) {}
}

/** How a token shows in watch traces: a fact, `*` (not/exists), or nothing (test CE). */
export type TokenShow = Fact | '*' | null;

export class Token {
  children: Set<Token> | null = null;
  activation: Activation | null = null;
  /** Not/exists nodes: how many right entries currently match this token. */
  count = 0;
  /** Where the token is stored: the node that received it and its bucket key. */
  owner: BetaNode | null = null;
  key: unknown = undefined;
  entry: AlphaEntry | null = null;

  constructor(
    readonly parent: Token | null,
    readonly vals: Value[],
    readonly show: TokenShow,
  ) {}

  addChild(t: Token): void {
    if (this.children === null) this.children = new Set();
    this.children.add(t);
  }

  /** The facts (or `*`) of each pattern CE in rule order, for watch traces. */
  basis(): Array<Fact | '*'> {
    const out: Array<Fact | '*'> = [];
    for (let t: Token | null = this; t !== null; t = t.parent)
      if (t.show !== null) out.push(t.show);
    return out.reverse();
  }
}
