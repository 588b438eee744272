// The beta network. Each rule disjunct is a chain of nodes; every node keeps the tokens it
// received in hash buckets keyed by its equality-join variables, and join/not/exists nodes keep
// their alpha entries bucketed by the same key, so an assert or retract only visits the partial
// matches it can actually join with. Buckets are Sets (O(1) delete, insertion order); CLIPS
// visits the newest partial matches first and alpha entries oldest first.
import type { Fact } from './fact.ts';
import { type CompiledPattern, joinKey } from './pattern.ts';
import { AlphaEntry, Token, type TokenShow } from './token.ts';
import type { Value } from './values.ts';

/** Callbacks from the network to the engine (activations, watch output). */
export interface NetworkHost {
  activate(terminal: TerminalNode, token: Token): void;
  deactivate(token: Token): void;
}

export abstract class BetaNode {
  next: BetaNode | null = null;
  /** Tokens received from the previous node, bucketed by the left join key. */
  readonly leftMem = new Map<unknown, Set<Token>>();

  constructor(readonly host: NetworkHost) {}

  abstract leftAdd(t: Token): void;

  protected storeLeft(t: Token, key: unknown): void {
    let b = this.leftMem.get(key);
    if (b === undefined) {
      b = new Set();
      this.leftMem.set(key, b);
    }
    b.add(t);
    t.owner = this;
    t.key = key;
  }

  /** Passes a new partial match on to the next node. */
  protected emit(parent: Token, vals: Value[], show: TokenShow, entry: AlphaEntry | null): void {
    const child = new Token(parent, vals, show);
    parent.addChild(child);
    if (entry !== null) {
      child.entry = entry;
      entry.children.add(child);
    }
    (this.next as BetaNode).leftAdd(child);
  }

  /** Every token stored here (for priming a newly added rule and for tests). */
  allLeft(): Token[] {
    const out: Token[] = [];
    for (const b of this.leftMem.values()) for (const t of b) out.push(t);
    return out;
  }
}

/** Removes a token, everything built on it, and its activation. */
export function removeToken(t: Token): void {
  const owner = t.owner;
  if (owner !== null) {
    const b = owner.leftMem.get(t.key);
    if (b !== undefined) {
      b.delete(t);
      if (b.size === 0) owner.leftMem.delete(t.key);
    }
    t.owner = null;
  }
  if (t.entry !== null) {
    t.entry.children.delete(t);
    t.entry = null;
  }
  removeChildren(t);
  if (t.activation !== null && owner !== null) owner.host.deactivate(t);
  t.parent?.children?.delete(t);
}

/** Removes a token's children, newest first (CLIPS keeps child lists newest-first). */
export function removeChildren(t: Token): void {
  if (t.children === null || t.children.size === 0) return;
  const kids = [...t.children];
  for (let i = kids.length - 1; i >= 0; i--) removeToken(kids[i] as Token);
}

function newestFirst<T>(set: Set<T> | undefined): T[] {
  if (set === undefined || set.size === 0) return [];
  const arr = [...set];
  arr.reverse();
  return arr;
}

/** A node whose right input is a pattern's alpha memory. */
export abstract class PatternNode extends BetaNode {
  readonly rightMem = new Map<unknown, Set<AlphaEntry>>();

  constructor(
    host: NetworkHost,
    readonly pattern: CompiledPattern,
    /** Canonical text of the rule's CEs up to this one; equal prefixes share a join in CLIPS. */
    readonly prefixKey: string,
    /** Canonical alpha tests of the pattern; equal keys share an alpha node in CLIPS. */
    readonly alphaKey: string,
  ) {
    super(host);
  }

  /** Set by the engine: creation order of the CLIPS alpha node, of the shared join, of the rule. */
  alphaOrder = 0;
  visitOrder = 0;
  ruleOrder = 0;

  /** Merges an entry's values into a copy of the token's frame; null when beta tests fail. */
  protected merge(t: Token, e: AlphaEntry): Value[] | null {
    const vals = t.vals.slice();
    const w = this.pattern.writes;
    for (let i = 0; i < w.length; i++) vals[w[i] as number] = e.vals[i] as Value;
    const test = this.pattern.betaTest;
    return test === null || test(vals) ? vals : null;
  }

  protected leftKey(t: Token): unknown {
    return joinKey(t.vals, this.pattern.eqLeft);
  }

  /** Adds a fact: one alpha entry per way it matches. */
  rightAdd(fact: Fact): void {
    for (const vals of this.pattern.match(fact)) {
      const key = joinKey(vals, this.pattern.eqRight);
      const entry = new AlphaEntry(fact, vals, key, this);
      fact.entries.push(entry);
      let b = this.rightMem.get(key);
      if (b === undefined) {
        b = new Set();
        this.rightMem.set(key, b);
      }
      b.add(entry);
      this.entryAdded(entry);
    }
  }

  rightRemove(entry: AlphaEntry): void {
    const b = this.rightMem.get(entry.key);
    if (b !== undefined) {
      b.delete(entry);
      if (b.size === 0) this.rightMem.delete(entry.key);
    }
    this.entryRemoved(entry);
  }

  /** Alpha entries oldest first: CLIPS appends to alpha memories (beta memories prepend). */
  protected rightBucket(key: unknown): Iterable<AlphaEntry> {
    return this.rightMem.get(key) ?? [];
  }

  protected leftBucket(key: unknown): Token[] {
    return newestFirst(this.leftMem.get(key));
  }

  protected abstract entryAdded(entry: AlphaEntry): void;
  protected abstract entryRemoved(entry: AlphaEntry): void;
}

/** A positive pattern CE. */
export class JoinNode extends PatternNode {
  leftAdd(t: Token): void {
    const key = this.leftKey(t);
    this.storeLeft(t, key);
    for (const e of [...this.rightBucket(key)]) {
      if (t.owner === null) return; // removed by an earlier propagation
      const vals = this.merge(t, e);
      if (vals !== null) this.emit(t, vals, e.fact, e);
    }
  }

  protected entryAdded(e: AlphaEntry): void {
    for (const t of this.leftBucket(e.key)) {
      if (e.fact.retracted) return;
      const vals = this.merge(t, e);
      if (vals !== null) this.emit(t, vals, e.fact, e);
    }
  }

  protected entryRemoved(e: AlphaEntry): void {
    const kids = [...e.children];
    for (let i = kids.length - 1; i >= 0; i--) removeToken(kids[i] as Token);
  }
}

/** A `not` CE (negated) or an `exists` CE (positive = false). */
export class NegationNode extends PatternNode {
  constructor(
    host: NetworkHost,
    pattern: CompiledPattern,
    prefixKey: string,
    alphaKey: string,
    readonly exists: boolean,
  ) {
    super(host, pattern, prefixKey, alphaKey);
  }

  private passes(t: Token): boolean {
    return this.exists ? t.count > 0 : t.count === 0;
  }

  leftAdd(t: Token): void {
    const key = this.leftKey(t);
    this.storeLeft(t, key);
    let n = 0;
    for (const e of this.rightBucket(key)) if (this.merge(t, e) !== null) n++;
    t.count = n;
    if (this.passes(t)) this.emit(t, t.vals, '*', null);
  }

  protected entryAdded(e: AlphaEntry): void {
    for (const t of this.leftBucket(e.key)) {
      if (this.merge(t, e) === null) continue;
      const before = this.passes(t);
      t.count++;
      this.flip(t, before);
    }
  }

  protected entryRemoved(e: AlphaEntry): void {
    for (const t of this.leftBucket(e.key)) {
      if (this.merge(t, e) === null) continue;
      const before = this.passes(t);
      t.count--;
      this.flip(t, before);
    }
  }

  private flip(t: Token, before: boolean): void {
    const after = this.passes(t);
    if (before === after) return;
    if (after) this.emit(t, t.vals, '*', null);
    else removeChildren(t);
  }
}

/** A `test` CE. */
export class TestNode extends BetaNode {
  constructor(
    host: NetworkHost,
    readonly test: (f: Value[]) => boolean,
  ) {
    super(host);
  }

  leftAdd(t: Token): void {
    this.storeLeft(t, undefined);
    if (this.test(t.vals)) this.emit(t, t.vals, null, null);
  }
}

/** The end of a rule disjunct: complete matches become activations. */
export class TerminalNode extends BetaNode {
  constructor(
    host: NetworkHost,
    /** The rule disjunct this node completes (typed loosely to keep rete.ts rule-agnostic). */
    readonly disjunct: unknown,
  ) {
    super(host);
  }

  leftAdd(t: Token): void {
    this.storeLeft(t, undefined);
    this.host.activate(this, t);
  }
}
