// Partial matches flowing through the beta network. Tokens sit in three intrusive doubly linked
// lists (their node's bucket, their parent's children, their alpha entry's children), so adding
// and removing one is O(1) whatever order matches come and go in.
import type { Activation } from './agenda.ts';
import type { Fact } from './fact.ts';
import type { AlphaMemory, BetaNode } from './rete.ts';
import type { Value } from './values.ts';

const NO_KEYS: readonly unknown[] = [];

/** One way a fact matches an alpha memory: the values it contributes, in the memory's layout
 *  (the fact's own slots for a memory of single-match patterns). */
export class AlphaEntry {
  /** Tokens built from this entry (by any node), newest at the tail, linked backwards through
   *  `eprev` (nothing walks them from the oldest, so no head is kept); removed on retract. */
  kidsTail: Token | null = null;
  /** The entry's key in its alpha memory's first two indexes (a memory shared by patterns
   *  that join differently often has two) and the keys' `keyHash`es; the keys and hashes
   *  for further indexes (rarely any) alternate in `more`. */
  key0: unknown = undefined;
  key1: unknown = undefined;
  hash0 = 0;
  hash1 = 0;
  more: unknown[] | null = null;
  /** The next older entry of the same fact (see `Fact.entries`). */
  nextOfFact: AlphaEntry | null = null;
  /** Retracted, but still in a large index bucket until its next compaction (`RightIndex`):
   *  walkers of a bucket skip it. */
  removed = false;
  constructor(
    readonly fact: Fact,
    readonly vals: readonly Value[],
    readonly alpha: AlphaMemory,
  ) {}

  keyAt(slot: number): unknown {
    if (slot === 0) return this.key0;
    return slot === 1 ? this.key1 : (this.more as unknown[])[2 * (slot - 2)];
  }

  hashAt(slot: number): number {
    if (slot === 0) return this.hash0;
    return slot === 1 ? this.hash1 : ((this.more as unknown[])[2 * (slot - 2) + 1] as number);
  }

  setKey(slot: number, key: unknown, hash: number): void {
    if (slot === 0) {
      this.key0 = key;
      this.hash0 = hash;
      return;
    }
    if (slot === 1) {
      this.key1 = key;
      this.hash1 = hash;
      return;
    }
    // Copied, not a literal: V8 pretenures a literal site once resident facts filled it, and
    // per-request entries' arrays would then be allocated in (and promote into) old space.
    if (this.more === null) this.more = NO_KEYS.slice();
    this.more[2 * (slot - 2)] = key;
    this.more[2 * (slot - 2) + 1] = hash;
  }

  addChild(t: Token): void {
    t.eprev = this.kidsTail;
    t.enext = null;
    if (this.kidsTail !== null) this.kidsTail.enext = t;
    this.kidsTail = t;
  }

  dropChild(t: Token): void {
    if (t.eprev !== null) t.eprev.enext = t.enext;
    if (t.enext === null) this.kidsTail = t.eprev;
    else t.enext.eprev = t.eprev;
    t.eprev = null;
    t.enext = null;
  }
}

/** The value at `pos` of an entry (see `CompiledPattern.valuePos`): -1 is the fact itself. */
export function entryValue(e: AlphaEntry, pos: number): Value {
  return pos < 0 ? e.fact : (e.vals[pos] as Value);
}

/** How a token shows in watch traces: a fact, `*` (not/exists), or nothing (test CE). */
export type TokenShow = Fact | '*' | null;

export class Token {
  /** Tokens built on this one, newest at the tail (linked backwards through `cprev`). */
  kidsTail: Token | null = null;
  activation: Activation | null = null;
  /** Not/exists nodes: an alpha entry that matches this token, if any (see `NegationNode`). */
  blocker: AlphaEntry | null = null;
  /** When `blocker` was set (a count of blocks): a retract releases the partial matches a fact
   *  blocked most recently blocked first, as CLIPS. */
  blockSeq = 0;
  /** The node that received the token. */
  owner: BetaNode | null = null;
  /** The token's left join key at its owner and the key's hash (masked to a small integer):
   *  where its bucket sits in the owner's `leftMem` (see `BetaNode.storeLeft`). */
  key: unknown = undefined;
  hash = 0;
  entry: AlphaEntry | null = null;
  /** Neighbours in the owner's bucket, oldest first (see `BetaNode.leftMem`). */
  lprev: Token | null = null;
  lnext: Token | null = null;
  /** Neighbours among the parent's children. */
  cprev: Token | null = null;
  cnext: Token | null = null;
  /** Neighbours among the alpha entry's children. */
  eprev: Token | null = null;
  enext: Token | null = null;
  /** When the token was built (a count of tokens built, see `newToken`): a retract removes the
   *  partial matches built on a fact newest first across several of its alpha entries. */
  seq = 0;

  /** Set when the token is built (or taken from the pool: see `newToken`). */
  constructor(public parent: Token | null) {}

  /** What the token shows in watch traces (not stored: derived from the node that built it,
   *  its parent's owner): the fact a join matched, `*` for a not/exists, nothing for a test CE
   *  or a rule's root. */
  show(): TokenShow {
    if (this.entry !== null) return this.entry.fact;
    const p = this.parent;
    return p !== null && (p.owner as BetaNode).starred ? '*' : null;
  }

  addChild(t: Token): void {
    t.cprev = this.kidsTail;
    t.cnext = null;
    if (this.kidsTail !== null) this.kidsTail.cnext = t;
    this.kidsTail = t;
  }

  dropChild(t: Token): void {
    if (t.cprev !== null) t.cprev.cnext = t.cnext;
    if (t.cnext === null) this.kidsTail = t.cprev;
    else t.cnext.cprev = t.cprev;
    t.cprev = null;
    t.cnext = null;
  }

  /** Whether this is a not/exists node's token holding its rule's activation itself (the
   *  node ends the rule, see `BetaNode.emit`): the match then also has that CE's `*`. */
  private endsWithStar(): boolean {
    return this.owner?.starred === true;
  }

  /** The fact id of each pattern CE in rule order (null for not/exists), for `run()` results:
   *  filled in place, one array per firing. Called on activations' tokens. */
  basisIds(): Array<number | null> {
    const star = this.endsWithStar();
    let n = star ? 1 : 0;
    for (let t: Token | null = this; t !== null; t = t.parent) if (t.show() !== null) n++;
    const out = new Array<number | null>(n);
    if (star) out[--n] = null;
    for (let t: Token | null = this; t !== null; t = t.parent) {
      const s = t.show();
      if (s !== null) out[--n] = s === '*' ? null : s.id;
    }
    return out;
  }

  /** The facts (or `*`) of each pattern CE in rule order, for watch traces. Called on
   *  activations' tokens. */
  basis(): Array<Fact | '*'> {
    const out: Array<Fact | '*'> = [];
    if (this.endsWithStar()) out.push('*');
    for (let t: Token | null = this; t !== null; t = t.parent) {
      const s = t.show();
      if (s !== null) out.push(s);
    }
    return out.reverse();
  }
}

/**
 * Dead tokens are kept for reuse. A matching program builds and drops partial matches at a
 * high rate (manners: ~5M tokens in 0.6 s; a routing request: ~370); allocating each afresh
 * made young-generation collections copy and promote the ones alive at that moment, and the
 * old generation then had to collect them. A reused token is already in the old generation.
 * Nothing may read a token after its removal: the engine describes a firing before running
 * its actions, which may remove the firing token.
 */
const free: Token[] = [];
/** Enough for a large cycle's churn; more is left to the garbage collector. */
const MAX_FREE = 1 << 16;

/** A token for a new partial match on `parent` (fields as after construction). */
export function newToken(parent: Token): Token {
  let t = free.pop();
  if (t === undefined) t = new Token(parent);
  else t.parent = parent;
  t.seq = ++built;
  return t;
}

/** Tokens built so far (`Token.seq`). A double once past 2^30, and exact far beyond. */
let built = 0;

/** Gives back a removed token that nothing refers to any longer. Its list links, owner,
 *  entry and children were cleared when it was removed; its parent stays until reuse (a held
 *  token may still be read). */
export function recycleToken(t: Token): void {
  t.activation = null;
  t.blocker = null;
  if (free.length < MAX_FREE) free.push(t);
}

/** Removes one element from a small array (alpha index buckets), searching from the end. */
export function dropFrom<T>(list: T[] | null, x: T): void {
  if (list === null) return;
  const i = list.lastIndexOf(x);
  if (i < 0) return;
  // Shifted by hand: splice allocates an array of the removed elements. The last slot goes
  // with pop(), which V8 inlines (assigning `length` is a runtime call).
  const n = list.length - 1;
  for (let k = i; k < n; k++) list[k] = list[k + 1] as T;
  list.pop();
}
