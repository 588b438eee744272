// The RETE network. Alpha memories are shared between patterns with the same tests; each rule
// disjunct is a chain of beta nodes. Every node keeps the tokens it received in hash buckets
// keyed by its equality-join variables, and reads its alpha memory through an index bucketed by
// the same key, so an assert or retract only visits the partial matches it can join with. CLIPS
// visits the newest partial matches first and alpha entries oldest first; so does this.
import type { Fact } from './fact.ts';
import { type CompiledPattern, joinKey } from './pattern.ts';
import { AlphaEntry, dropFrom, Token, type TokenShow } from './token.ts';
import type { Value } from './values.ts';

/** Callbacks from the network to the engine (activations, watch output). */
export interface NetworkHost {
  activate(terminal: TerminalNode, token: Token): void;
  deactivate(token: Token): void;
}

/**
 * Which alpha entries of the fact being asserted or retracted a node may see. CLIPS processes an
 * assert node by node: a node not yet reached must not see the new fact (else a join fed by an
 * earlier node would pair it twice), and during a retract a node already processed must no
 * longer see it. Exactly one fact is in flight at a time.
 */
export const inFlight = {
  fact: null as Fact | null,
  retracting: false,
  /** Nodes already reached for the fact in flight carry this stamp. */
  epoch: 0,
};

function visible(e: AlphaEntry, node: PatternNode): boolean {
  return e.fact !== inFlight.fact || (node.visited === inFlight.epoch) !== inFlight.retracting;
}

export abstract class BetaNode {
  next: BetaNode | null = null;
  /** Tokens received from the previous node, bucketed by the left join key. */
  readonly leftMem = new Map<unknown, TokenList>();
  /** The single bucket of a node without equality joins (no hashing needed). */
  keyless: TokenList | null = null;

  constructor(readonly host: NetworkHost) {}

  abstract leftAdd(t: Token): void;

  protected storeLeft(t: Token, key: unknown): void {
    let b = this.keyless;
    if (b === null) {
      b = this.leftMem.get(key) ?? null;
      if (b === null) {
        b = new TokenList(key);
        this.leftMem.set(key, b);
      }
    }
    b.append(t);
    t.owner = this;
    t.bucket = b;
  }

  /** Test and terminal nodes never look their tokens up again: they only record ownership. */
  protected own(t: Token): void {
    t.owner = this;
  }

  /** Passes a new partial match on to the next node. */
  protected emit(parent: Token, vals: Value[], show: TokenShow, entry: AlphaEntry | null): void {
    const child = new Token(parent, vals, show);
    parent.addChild(child);
    if (entry !== null) {
      child.entry = entry;
      entry.addChild(child);
    }
    (this.next as BetaNode).leftAdd(child);
  }
}

/** Removes a token, everything built on it, and its activation. */
export function removeToken(t: Token): void {
  const owner = t.owner;
  if (owner !== null) {
    const b = t.bucket;
    if (b !== null) {
      b.unlink(t);
      if (b.tail === null && b !== owner.keyless) owner.leftMem.delete(b.key);
      t.bucket = null;
    }
    t.owner = null;
  }
  if (t.entry !== null) {
    t.entry.dropChild(t);
    t.entry = null;
  }
  removeChildren(t);
  if (t.activation !== null && owner !== null) owner.host.deactivate(t);
  if (t.parent !== null) t.parent.dropChild(t);
}

/** Removes a token's children, newest first (CLIPS keeps child lists newest-first). */
export function removeChildren(t: Token): void {
  while (t.kidsTail !== null) removeToken(t.kidsTail);
}

const NONE: readonly AlphaEntry[] = [];
const NO_ENTRIES: AlphaEntry[] = [];

/** A bucket of tokens: a doubly linked list through the tokens, oldest first, O(1) removal. */
export class TokenList {
  head: Token | null = null;
  tail: Token | null = null;

  constructor(
    /** The bucket's key in its node's `leftMem` (unused for a keyless node's list). */
    readonly key: unknown = undefined,
  ) {}

  append(t: Token): void {
    t.lprev = this.tail;
    t.lnext = null;
    if (this.tail === null) this.head = t;
    else this.tail.lnext = t;
    this.tail = t;
  }

  unlink(t: Token): void {
    if (t.lprev === null) this.head = t.lnext;
    else t.lprev.lnext = t.lnext;
    if (t.lnext === null) this.tail = t.lprev;
    else t.lnext.lprev = t.lprev;
    t.lprev = null;
    t.lnext = null;
  }
}

/** Alpha entries of one alpha memory bucketed by the values at some positions (a join key). */
export class RightIndex {
  /** Entries per key, oldest first. */
  readonly buckets = new Map<unknown, AlphaEntry[]>();
  constructor(
    readonly positions: readonly number[],
    /** Where entries keep their key for this index. */
    readonly slot: number,
  ) {}

  add(e: AlphaEntry): void {
    const key = joinKey(e.vals, this.positions);
    e.setKey(this.slot, key);
    const b = this.buckets.get(key);
    if (b === undefined) this.buckets.set(key, [e]);
    else b.push(e);
  }

  remove(e: AlphaEntry): void {
    const key = e.keyAt(this.slot);
    const b = this.buckets.get(key);
    if (b === undefined) return;
    dropFrom(b, e);
    if (b.length === 0) this.buckets.delete(key);
  }
}

/**
 * An alpha memory shared by every pattern with the same alpha tests and the same layout of
 * values (CLIPS shares alpha nodes the same way): a resident fact is matched and stored once,
 * not once per rule that mentions its template. Each distinct join key gets one index.
 */
export class AlphaMemory {
  readonly indexes: RightIndex[] = [];
  /** The pattern nodes reading this memory, in CLIPS's visiting order for an assert. */
  readonly nodes: PatternNode[] = [];
  /** Entries created for the fact being asserted (read by the pattern nodes right after). */
  current: AlphaEntry[] = [];
  /** `inFlight.epoch` when this memory last matched the fact in flight. */
  mark = -1;

  constructor(
    readonly key: string,
    /** The matcher of the first pattern with this key; sharers have the same value layout. */
    readonly pattern: CompiledPattern,
  ) {}

  index(positions: readonly number[], existing: Iterable<Fact>): RightIndex {
    const found = this.indexes.find(
      (x) =>
        x.positions.length === positions.length && x.positions.every((p, i) => p === positions[i]),
    );
    if (found) return found;
    const idx = new RightIndex(positions, this.indexes.length);
    this.indexes.push(idx);
    for (const f of existing) for (const e of f.entries) if (e.alpha === this) idx.add(e);
    return idx;
  }

  /** Matches a fact and stores its entries in every index. */
  add(fact: Fact): AlphaEntry[] {
    const matches = this.pattern.match(fact);
    if (matches.length === 0) {
      this.current = NO_ENTRIES;
      return NO_ENTRIES;
    }
    const out: AlphaEntry[] = [];
    for (const vals of matches) {
      const e = new AlphaEntry(fact, vals, this);
      for (const idx of this.indexes) idx.add(e);
      fact.entries.push(e);
      out.push(e);
    }
    this.current = out;
    return out;
  }

  remove(e: AlphaEntry): void {
    for (const idx of this.indexes) idx.remove(e);
  }
}

/** A node whose right input is a (shared) alpha memory. */
export abstract class PatternNode extends BetaNode {
  /** Set when the engine attaches the node to its alpha memory. */
  alpha!: AlphaMemory;
  right!: RightIndex;

  constructor(
    host: NetworkHost,
    readonly pattern: CompiledPattern,
    /** Canonical text of the rule's CEs up to this one; equal prefixes share a join in CLIPS. */
    readonly prefixKey: string,
    /** Canonical alpha tests of the pattern; equal keys share an alpha node in CLIPS. */
    readonly alphaKey: string,
  ) {
    super(host);
    if (pattern.eqLeft.length === 0) this.keyless = new TokenList();
  }

  /** Set by the engine: creation order of the CLIPS alpha node, of the shared join, of the rule. */
  alphaOrder = 0;
  visitOrder = 0;
  ruleOrder = 0;
  /** `inFlight.epoch` when this node last processed the fact in flight. */
  visited = -1;
  /** Position in the template's listener list (CLIPS visiting order, reversed). */
  rank = 0;

  /** Merges an entry's values into a copy of the token's frame; null when beta tests fail. */
  protected merge(t: Token, e: AlphaEntry): Value[] | null {
    const fw = this.pattern.frameWrites;
    const test = this.pattern.betaTest;
    // A join that adds no variable the rule reads can pass its parent's frame on unchanged
    // (frames are never written after creation; the RHS works on a copy).
    if (fw.length === 0 && test === null) return t.vals;
    const w = this.pattern.writes;
    if (test === null) {
      const vals = t.vals.slice();
      for (let k = 0; k < fw.length; k++) {
        const i = fw[k] as number;
        vals[w[i] as number] = e.vals[i] as Value;
      }
      return vals;
    }
    // Tested in a reused scratch frame: most candidates fail, and only a match is copied. (A
    // test that re-enters the network, e.g. by asserting, gets a fresh frame instead.)
    const scratch = this.scratchBusy ? [] : this.scratch;
    const src = t.vals;
    scratch.length = src.length;
    for (let i = 0; i < src.length; i++) scratch[i] = src[i] as Value;
    for (let k = 0; k < fw.length; k++) {
      const i = fw[k] as number;
      scratch[w[i] as number] = e.vals[i] as Value;
    }
    const outer = this.scratchBusy;
    this.scratchBusy = true;
    try {
      return test(scratch) ? scratch.slice() : null;
    } finally {
      this.scratchBusy = outer;
    }
  }

  private readonly scratch: Value[] = [];
  private scratchBusy = false;

  /** Whether an entry passes the beta tests against a token (no allocation without tests). */
  protected matches(t: Token, e: AlphaEntry): boolean {
    return this.pattern.betaTest === null || this.merge(t, e) !== null;
  }

  protected leftKey(t: Token): unknown {
    return joinKey(t.vals, this.pattern.eqLeft);
  }

  /** Alpha entries for a key, oldest first (CLIPS appends to alpha memories); callers skip
   *  the ones `visible` rejects. Joining never changes the bucket being walked. */
  protected rightBucket(key: unknown): readonly AlphaEntry[] {
    return this.right.buckets.get(key) ?? NONE;
  }

  abstract entryAdded(entry: AlphaEntry): void;
  abstract entryRemoved(entry: AlphaEntry): void;
}

/** A positive pattern CE. */
export class JoinNode extends PatternNode {
  leftAdd(t: Token): void {
    const key = this.leftKey(t);
    this.storeLeft(t, key);
    for (const e of this.rightBucket(key)) {
      if (!visible(e, this)) continue;
      const vals = this.merge(t, e);
      if (vals !== null) this.emit(t, vals, e.fact, e);
    }
  }

  entryAdded(e: AlphaEntry): void {
    const b = this.keyless ?? this.leftMem.get(e.keyAt(this.right.slot));
    if (b === undefined) return;
    // Newest partial match first (CLIPS prepends to beta memories).
    for (let t = b.tail; t !== null; t = t.lprev) {
      const vals = this.merge(t, e);
      if (vals !== null) this.emit(t, vals, e.fact, e);
    }
  }

  entryRemoved(e: AlphaEntry): void {
    // Newest first. Removing a token only removes tokens built after it, which this walk has
    // already passed, so the saved `prev` stays valid.
    for (let k = e.kidsTail; k !== null; ) {
      const prev: Token | null = k.eprev;
      // Tokens this join built from `e` are the ones stored by the node after it.
      if (k.owner === this.next) removeToken(k);
      k = prev;
    }
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
    for (const e of this.rightBucket(key)) if (visible(e, this) && this.matches(t, e)) n++;
    t.count = n;
    if (this.passes(t)) this.emit(t, t.vals, '*', null);
  }

  entryAdded(e: AlphaEntry): void {
    this.update(e, 1);
  }

  entryRemoved(e: AlphaEntry): void {
    this.update(e, -1);
  }

  private update(e: AlphaEntry, delta: number): void {
    const b = this.keyless ?? this.leftMem.get(e.keyAt(this.right.slot));
    if (b === undefined) return;
    // Newest first; emitting and removing children only touch later nodes, never this bucket.
    for (let t = b.tail; t !== null; t = t.lprev) {
      if (!this.matches(t, e)) continue;
      const before = this.passes(t);
      t.count += delta;
      const after = this.passes(t);
      if (before === after) continue;
      if (after) this.emit(t, t.vals, '*', null);
      else removeChildren(t);
    }
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
    this.own(t);
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
    this.own(t);
    this.host.activate(this, t);
  }
}
