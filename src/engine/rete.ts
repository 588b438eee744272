// The RETE network. Alpha memories are shared between patterns with the same tests; each rule
// disjunct is a chain of beta nodes. Every node keeps the tokens it received in hash buckets
// keyed by its equality-join variables, and reads its alpha memory through an index bucketed by
// the same key, so an assert or retract only visits the partial matches it can join with. CLIPS
// visits the newest partial matches first and alpha entries oldest first; so does this.
import type { Fact } from './fact.ts';
import { valueHash } from './fact-index.ts';
import { KeyMap, keyHash } from './key-map.ts';
import {
  type CompiledPattern,
  JOIN_HASH_MASK,
  JOIN_HASH_SEED,
  joinKey,
  singleJoinKey,
} from './pattern.ts';
import type { NetNode } from './pattern-net.ts';
import { AlphaEntry, dropFrom, entryValue, newToken, recycleToken, type Token } from './token.ts';
import { sameValue, type Value } from './values.ts';

/** Callbacks from the network to the engine (activations, watch output). */
export interface NetworkHost {
  activate(terminal: TerminalNode, token: Token): void;
  deactivate(token: Token): void;
}

/**
 * Which alpha entries of the fact being asserted or retracted a node may see. CLIPS processes an
 * assert node by node: a node not yet reached must not see the new fact (else a join fed by an
 * earlier node would pair it twice). A fact being retracted is part of no new match anywhere
 * (a `not` it unblocks does not join it further on). Exactly one fact is in flight at a time.
 */
export const inFlight = {
  fact: null as Fact | null,
  retracting: false,
  /** Nodes already reached for the fact in flight carry this stamp. */
  epoch: 0,
};

/** Blocks counted so far (`Token.blockSeq`). */
let blocks = 0;

/** Records a partial match's blocker (null: none) and, for one, when it was set. */
function blockBy(t: Token, e: AlphaEntry | null): void {
  t.blocker = e;
  if (e !== null) t.blockSeq = ++blocks;
}

/**
 * Lets go the partial matches that the fact being retracted blocked in not/exists nodes of one
 * CLIPS alpha node, most recently blocked first (CLIPS keeps a list per alpha match, newest
 * first); `pending` is emptied.
 */
export function releaseBlocked(pending: Token[]): void {
  const n = pending.length;
  if (n === 0) return;
  // Insertion sort by blockSeq, highest first (usually zero or one partial match).
  for (let i = 1; i < n; i++) {
    const t = pending[i] as Token;
    let j = i - 1;
    while (j >= 0 && (pending[j] as Token).blockSeq < t.blockSeq) {
      pending[j + 1] = pending[j] as Token;
      j--;
    }
    pending[j + 1] = t;
  }
  const f = inFlight.fact;
  for (let i = 0; i < n; i++) {
    const t = pending[i] as Token;
    // Skips one that an earlier release removed (or reused).
    if (t.blocker !== null && t.blocker.fact === f) (t.owner as NegationNode).release(t);
  }
  pending.length = 0;
}

/** Whether a token's match includes the fact in flight. */
function holdsFactInFlight(t: Token): boolean {
  const f = inFlight.fact;
  for (let x: Token | null = t; x !== null; x = x.parent)
    if (x.entry !== null && x.entry.fact === f) return true;
  return false;
}

/** Whether a node may see an entry of the fact in flight (other facts' entries always are). */
function visibleInFlight(node: PatternNode): boolean {
  return !inFlight.retracting && node.visited === inFlight.epoch;
}

// How a node keeps the tokens it receives (`BetaNode.store`): test and terminal nodes never
// look their tokens up again; a node without equality joins keeps one list (`keylessTail`);
// the others a list per left join key (`leftMem`). A node with equality joins starts out
// `STORE_UNINDEXED`: one list, each token carrying its key. The per-key index is only needed
// when an alpha entry arrives or leaves while tokens wait (a right activation), and many joins
// never see one with tokens present (the request's own facts come before the partial matches
// built on them and go after): they are spared a hash-table update per token stored and
// removed. The first right activation that finds tokens indexes them and the node stays
// `STORE_KEYED`.
export const STORE_NONE = 0;
export const STORE_KEYLESS = 1;
export const STORE_KEYED = 2;
export const STORE_UNINDEXED = 3;

/** Token hashes are kept as small integers (V8 would box a full 32-bit one per token); only
 *  the low bits select a `KeyMap` slot, so masked and unmasked hashes probe alike. */
const SMALL_HASH = 0x3fffffff;

export abstract class BetaNode {
  next: BetaNode | null = null;
  /**
   * Tokens received from the previous node, bucketed by the left join key. A bucket is a
   * doubly linked list through the tokens (`lprev`/`lnext`, oldest first) and the map holds
   * its newest token: no list object per key (a `not` joined on several variables often gets
   * a new key with every token), and storing a token is one probe (`swapH`).
   */
  readonly leftMem = new KeyMap<Token>();
  /** The newest token of a node without equality joins (no hashing needed), or of a node
   *  whose tokens are not indexed yet (`STORE_UNINDEXED`). */
  keylessTail: Token | null = null;
  store = STORE_NONE;
  /** Set by not/exists nodes: the tokens they pass on show as `*` in watch traces. */
  starred = false;
  /** Set by terminal nodes (see `emit`). */
  isTerminal = false;
  /** The token whose variables a pattern node's scratch frame holds (null: none). Cleared
   *  when that token is removed: a reused token object must not pass for it. */
  scratchToken: Token | null = null;

  constructor(readonly host: NetworkHost) {}

  abstract leftAdd(t: Token): void;

  /** Stores a token in its bucket; `h` is the key's `keyHash`, computed once per token. */
  protected storeLeft(t: Token, key: unknown, h: number): void {
    let prev: Token | null;
    if (this.store === STORE_KEYLESS) {
      prev = this.keylessTail;
      this.keylessTail = t;
    } else {
      const hash = h & SMALL_HASH;
      if (this.store === STORE_UNINDEXED) {
        prev = this.keylessTail;
        this.keylessTail = t;
      } else prev = this.leftMem.swapH(key, hash, t) ?? null;
      t.key = key;
      t.hash = hash;
    }
    t.lprev = prev;
    t.lnext = null;
    if (prev !== null) prev.lnext = t;
    t.owner = this;
  }

  /** Whether no partial match waits on this node's left: an entry added to or removed from
   *  its alpha memory then has nothing to join (most of a template's nodes, most of the time). */
  leftEmpty(): boolean {
    return this.store === STORE_KEYED ? this.leftMem.size === 0 : this.keylessTail === null;
  }

  /** The newest token stored under a key (null: none). Only right activations look tokens up
   *  by key: an unindexed node gets its index now. */
  protected leftTail(key: unknown, h: number): Token | null {
    if (this.store === STORE_KEYLESS) return this.keylessTail;
    if (this.store === STORE_UNINDEXED) {
      if (this.keylessTail === null) return null;
      this.indexLeft();
    }
    return this.leftMem.getH(key, h) ?? null;
  }

  /** The newest token stored under an alpha entry's key in `index` (null: none). */
  protected leftTailOf(e: AlphaEntry, index: RightIndex): Token | null {
    if (this.store === STORE_KEYLESS) return this.keylessTail;
    return this.leftTail(e.keyAt(index.slot), e.hashAt(index.slot));
  }

  /** Moves an unindexed node's tokens into per-key buckets, keeping their order (oldest
   *  first within each key); the node stays indexed from then on. */
  private indexLeft(): void {
    let oldest = this.keylessTail as Token;
    while (oldest.lprev !== null) oldest = oldest.lprev;
    this.keylessTail = null;
    this.store = STORE_KEYED;
    for (let t: Token | null = oldest; t !== null; ) {
      const next: Token | null = t.lnext;
      const prev = this.leftMem.swapH(t.key, t.hash, t) ?? null;
      t.lprev = prev;
      t.lnext = null;
      if (prev !== null) prev.lnext = t;
      t = next;
    }
  }

  /** Takes a stored token out of its bucket (the bucket goes when it empties). */
  unlinkLeft(t: Token): void {
    const prev = t.lprev;
    const next = t.lnext;
    if (next !== null) next.lprev = prev;
    else if (this.store !== STORE_KEYED) this.keylessTail = prev;
    else if (prev === null) this.leftMem.deleteH(t.key, t.hash);
    else this.leftMem.setH(t.key, t.hash, prev);
    if (prev !== null) prev.lnext = next;
    t.lprev = null;
    t.lnext = null;
    t.key = undefined;
  }

  /** Test and terminal nodes never look their tokens up again: they only record ownership. */
  protected own(t: Token): void {
    t.owner = this;
  }

  /** Passes a new partial match on to the next node. A token holds no frame of its own: the
   *  variables' values stay in the alpha entries along its parent chain (`materialize`). */
  protected emit(parent: Token, entry: AlphaEntry | null): void {
    const next = this.next as BetaNode;
    if (entry === null && next.isTerminal) {
      // A not/exists or test CE that ends its rule would pass on a token that only repeats
      // its parent: the parent carries the activation itself (see `Token.basis` for the `*`
      // it stands for), and NegationNode.update takes it back.
      this.host.activate(next as TerminalNode, parent);
      return;
    }
    const child = newToken(parent);
    parent.addChild(child);
    if (entry !== null) {
      child.entry = entry;
      entry.addChild(child);
    }
    next.leftAdd(child);
  }
}

/**
 * Writes the values of a live token's variables into `frame`: each token built by a join holds
 * that join's alpha entry, and the join (its parent's owner) knows where the entry's values go.
 */
export function materialize(t: Token, frame: Value[]): Value[] {
  for (let x: Token = t; x.parent !== null; x = x.parent) {
    const e = x.entry;
    if (e === null) continue;
    const p = (x.parent.owner as PatternNode).pattern;
    const from = p.frameFrom;
    const to = p.frameTo;
    for (let k = 0; k < from.length; k++) frame[to[k] as number] = entryValue(e, from[k] as number);
  }
  return frame;
}

/** Removes a token, everything built on it, and its activation. */
export function removeToken(t: Token): void {
  dropTree(t);
  if (t.parent !== null) t.parent.dropChild(t);
}

/** `removeToken` for a token nothing else refers to afterwards (not a rule's root): it goes
 *  back to the pool. */
function discardToken(t: Token): void {
  removeToken(t);
  recycleToken(t);
}

/**
 * Removes the partial matches that the joins of one CLIPS alpha node (`alphaOrder`) built on
 * the entries of a fact being retracted, newest first whichever rule's join built them: CLIPS
 * keeps one list of them per alpha match and walks it so. No join builds more on the entries
 * meanwhile: a fact being retracted joins nothing new.
 */
export function dropAlphaMatches(entries: AlphaEntry, alphaNode: number): void {
  // Usually one of the fact's entries holds the alpha node's partial matches: its list is newest
  // first already. Several do when the engine keeps apart patterns that CLIPS shares (e.g.
  // ones differing only by a fact-address binding): those are merged by age.
  let holder: AlphaEntry | null = null;
  for (let e: AlphaEntry | null = entries; e !== null; e = e.nextOfFact) {
    if (!builtIn(e, alphaNode)) continue;
    // Entries of another memory are one CLIPS alpha match split by the engine: merged by age.
    // Several entries of one memory are several matches (multifield segmentation): CLIPS takes
    // them one by one, the last match first, as the fact lists its entries.
    if (holder !== null && holder.alpha !== e.alpha) {
      dropMerged(entries, alphaNode);
      return;
    }
    holder = e;
  }
  if (holder === null) return;
  for (let e: AlphaEntry | null = entries; e !== null; e = e.nextOfFact) {
    if (e.alpha !== holder.alpha) continue;
    // A removed token's descendants are newer than it: the older neighbour kept here stays.
    for (let k = e.kidsTail; k !== null; ) {
      const prev: Token | null = k.eprev;
      if (builtBy(k) === alphaNode) discardToken(k);
      k = prev;
    }
  }
}

/** The CLIPS alpha node of the join that built a partial match on an alpha entry. */
function builtBy(k: Token): number {
  return ((k.parent as Token).owner as PatternNode).alphaOrder;
}

/** Whether a join of `alphaNode` built a partial match on `e`. */
function builtIn(e: AlphaEntry, alphaNode: number): boolean {
  for (let k = e.kidsTail; k !== null; k = k.eprev) if (builtBy(k) === alphaNode) return true;
  return false;
}

function dropMerged(entries: AlphaEntry, alphaNode: number): void {
  const found: Token[] = [];
  for (let e: AlphaEntry | null = entries; e !== null; e = e.nextOfFact) {
    for (let k = e.kidsTail; k !== null; k = k.eprev) if (builtBy(k) === alphaNode) found.push(k);
  }
  found.sort((x, y) => y.seq - x.seq);
  // A removed token's descendants go with it (their entry is cleared): skipped here.
  for (const k of found) if (k.entry !== null) discardToken(k);
}

/** Removes a token's children, newest first (CLIPS keeps child lists newest-first). */
export function removeChildren(t: Token): void {
  dropKids(t);
}

/** Removes a token and everything built on it, except from its parent's child list. */
function dropTree(t: Token): void {
  // Children and the activation go first: their `<== Activation` traces read the match
  // through this token (`Token.show` needs its entry and its owner).
  if (t.kidsTail !== null) dropKids(t);
  const owner = t.owner;
  if (owner !== null) {
    if (t.activation !== null) owner.host.deactivate(t);
    if (owner.store !== STORE_NONE) owner.unlinkLeft(t);
    if (owner.scratchToken === t) owner.scratchToken = null;
    t.owner = null;
  }
  if (t.entry !== null) {
    t.entry.dropChild(t);
    t.entry = null;
  }
}

/** Drops all of a token's children, newest first. The child list goes as a whole: no child is
 *  unlinked from its neighbours one by one (their links are only cleared, so a dead token in
 *  the old generation keeps no young one alive). */
function dropKids(t: Token): void {
  for (let k = t.kidsTail; k !== null; ) {
    const prev: Token | null = k.cprev;
    dropTree(k);
    k.cprev = null;
    k.cnext = null;
    recycleToken(k);
    k = prev;
  }
  t.kidsTail = null;
}

const NONE: readonly AlphaEntry[] = [];
const NO_ENTRIES: AlphaEntry[] = [];
const ONE_SLOT: ReadonlyArray<AlphaEntry | undefined> = [undefined];

/** A trie over the further alpha memories a fact matched: their nodes merged in visiting
 *  order once the path is complete. */
export interface MergedOrder {
  nodes: PatternNode[] | null;
  next: Map<AlphaMemory, MergedOrder> | null;
}

/** Buckets up to this size drop a retracted entry in place (a short shift). */
const SMALL_BUCKET = 16;

/**
 * Alpha entries of one alpha memory bucketed by the values at some positions (a join key).
 * A bucket can hold a large share of the memory (a pattern joined on no variable keeps every
 * entry in one bucket, e.g. each session's summary): removing from the middle of it would cost
 * its length per retract, so a large bucket only marks the entry `removed` (walkers skip it)
 * and the index compacts once half of its entries are such leftovers.
 */
export class RightIndex {
  /** Entries per key, oldest first. */
  readonly buckets = new KeyMap<AlphaEntry[]>();
  /** Entries stored, leftovers included, and the leftovers among them. */
  private stored = 0;
  private leftovers = 0;
  constructor(
    readonly positions: readonly number[],
    /** Where entries keep their key for this index. */
    readonly slot: number,
  ) {}

  add(e: AlphaEntry): void {
    // Join positions are the pattern's own values: never the fact address (-1).
    const key = joinKey(e.vals, this.positions);
    const h = keyHash(key);
    e.setKey(this.slot, key, h);
    this.stored++;
    const b = this.buckets.getH(key, h);
    if (b === undefined) {
      // Copied, not a literal: V8 pretenures a literal site once resident facts filled it.
      // (A copy of a one-slot array has room for exactly one entry; push would reserve 17.)
      const nb = ONE_SLOT.slice() as AlphaEntry[];
      nb[0] = e;
      this.buckets.setH(key, h, nb);
    } else b.push(e);
  }

  remove(e: AlphaEntry): void {
    const key = e.keyAt(this.slot);
    const h = e.hashAt(this.slot);
    const b = this.buckets.getH(key, h);
    if (b === undefined) return;
    if (b.length <= SMALL_BUCKET || b[b.length - 1] === e) {
      const before = b.length;
      dropFrom(b, e);
      this.stored -= before - b.length;
      // Leftovers that became the newest go too (only looked for when the index has any:
      // reading the bucket's new last entry is often a cache miss).
      while (this.leftovers > 0 && b.length > 0 && (b[b.length - 1] as AlphaEntry).removed) {
        b.pop();
        this.stored--;
        this.leftovers--;
      }
      if (b.length === 0) this.buckets.deleteH(key, h);
      return;
    }
    e.removed = true;
    this.leftovers++;
    if (this.leftovers > 64 && this.leftovers * 2 > this.stored) this.compact();
  }

  /** Drops every leftover (amortized: runs after as many removals as entries it keeps). */
  private compact(): void {
    const empty: AlphaEntry[] = [];
    let kept = 0;
    for (const b of this.buckets.values()) {
      let w = 0;
      for (let r = 0; r < b.length; r++) {
        const x = b[r] as AlphaEntry;
        if (!x.removed) b[w++] = x;
      }
      if (w === 0) empty.push(b[0] as AlphaEntry);
      b.length = w;
      kept += w;
    }
    for (const x of empty) this.buckets.deleteH(x.keyAt(this.slot), x.hashAt(this.slot));
    // Counted afresh: also right after the network cleared the buckets (flush).
    this.stored = kept;
    this.leftovers = 0;
  }
}

/**
 * An alpha memory shared by every pattern with the same alpha tests (CLIPS shares alpha nodes
 * the same way): a resident fact is matched and stored once, not once per rule that mentions
 * its template. Patterns that match a fact at most once share it whatever variables they
 * capture (entries hold the fact's slots); patterns with multifield segmentation share it only
 * with patterns laying out their captured values alike. Each distinct join key gets one index.
 * Its node list is in visiting order (by rank), as the merge of separate memories' lists was.
 */
export class AlphaMemory {
  readonly indexes: RightIndex[] = [];
  /** The pattern nodes reading this memory, in CLIPS's visiting order for an assert. */
  readonly nodes: PatternNode[] = [];
  /** Merged visiting orders of this memory's nodes with those of other memories the same
   *  facts match (see `mergedNodes` in network.ts); dropped whenever rules change. */
  merged: MergedOrder | null = null;
  /** The network's `mergeEpoch` when `merged` was started, and how many orders it holds. */
  mergedEpoch = -1;
  mergedCount = 0;
  /** Entries created for the fact being asserted (read by the pattern nodes right after):
   *  the only one in `one` (no array per assert), else all of them in `current`. */
  one: AlphaEntry | null = null;
  current: AlphaEntry[] = [];

  constructor(
    readonly key: string,
    /** The matcher of the first pattern with this key; sharers have the same alpha tests and
     *  entry layout. */
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
    for (const f of existing) {
      for (let e = f.entries; e !== null; e = e.nextOfFact) if (e.alpha === this) idx.add(e);
    }
    return idx;
  }

  /** The memory's entries in the order they were made (facts in id order), for a node that
   *  keeps no index of them (`PatternNode.scansAlpha`). */
  entriesInOrder(): AlphaEntry[] {
    const out: AlphaEntry[] = [];
    for (const f of this.pattern.template.facts) {
      const start = out.length;
      for (let e = f.entries; e !== null; e = e.nextOfFact) if (e.alpha === this) out.push(e);
      // A fact's entries are listed newest first.
      out.splice(start, out.length - start, ...out.slice(start).reverse());
    }
    return out;
  }

  /** Matches a fact and stores its entries in every index; whether it matched. */
  add(fact: Fact): boolean {
    if (this.pattern.single) {
      // Entries of a single-match memory hold the fact's slots (no copy): its patterns read
      // the values they capture by slot (`CompiledPattern.valuePos`).
      if (!this.pattern.accepts(fact)) {
        this.one = null;
        this.current = NO_ENTRIES;
        return false;
      }
      this.one = this.store(fact, fact.slots);
      return true;
    }
    this.one = null;
    const matches = this.pattern.match(fact);
    if (matches.length === 0) {
      this.current = NO_ENTRIES;
      return false;
    }
    const out: AlphaEntry[] = [];
    for (const vals of matches) out.push(this.store(fact, vals));
    this.current = out;
    return true;
  }

  private store(fact: Fact, vals: readonly Value[]): AlphaEntry {
    const e = new AlphaEntry(fact, vals, this);
    const indexes = this.indexes;
    for (let i = 0; i < indexes.length; i++) (indexes[i] as RightIndex).add(e);
    e.nextOfFact = fact.entries;
    fact.entries = e;
    return e;
  }

  remove(e: AlphaEntry): void {
    const indexes = this.indexes;
    for (let i = 0; i < indexes.length; i++) (indexes[i] as RightIndex).remove(e);
  }
}

/** A node whose right input is a (shared) alpha memory. */
export abstract class PatternNode extends BetaNode {
  /** Set when the engine attaches the node to its alpha memory. */
  alpha!: AlphaMemory;
  /** The index the node joins through (unset when `scansAlpha`). */
  right!: RightIndex;
  /** Set for a rule's first node. */
  rootLevel = false;
  /**
   * A rule's first positive pattern joins its alpha memory with the rule's root token only
   * when the root arrives (rule added, reset): it reads the memory's entries by walking the
   * template's facts then, and the memory keeps no keyless index for it (an index every
   * transient fact of the template would be added to and removed from again).
   */
  scansAlpha = false;

  constructor(
    host: NetworkHost,
    readonly pattern: CompiledPattern,
    /** Canonical text of the rule's CEs up to this one; equal prefixes share a join in CLIPS. */
    readonly prefixKey: string,
    /** The pattern's path in CLIPS's pattern network (`netPath`): where it sits there decides
     *  the node's `alphaOrder`. */
    readonly netPath: readonly string[],
  ) {
    super(host);
    this.store = pattern.eqLeft.length === 0 ? STORE_KEYLESS : STORE_UNINDEXED;
    this.hashedKey = pattern.eqLeft.length > 1;
  }

  /** With several equality joins buckets are keyed by a hash: pairs are confirmed value by value. */
  protected readonly hashedKey: boolean;

  /** Set by the engine: the CLIPS alpha node's place in its template's visiting order (higher
   *  first, see `PatternNet`), creation order of the shared join, of the rule. */
  alphaOrder = 0;
  visitOrder = 0;
  ruleOrder = 0;
  /** Where `netPath` ends in the template's pattern network while the rule is attached. */
  netStop: NetNode | null = null;
  /** `inFlight.epoch` when this node last processed the fact in flight. */
  visited = -1;
  /** Position in the template's listener list (CLIPS visiting order, reversed). */
  rank = 0;

  /** Whether an entry passes the pattern's beta tests against a token. The tests run on a
   *  reused scratch frame holding the token's variables and the entry's (a test that
   *  re-enters the network, e.g. by asserting, gets a fresh frame instead). */
  protected matches(t: Token, e: AlphaEntry): boolean {
    const test = this.pattern.betaTest;
    if (test === null) return true;
    const outer = this.scratchBusy;
    let scratch: Value[];
    if (outer) scratch = materialize(t, new Array<Value>(this.scratch.length));
    else {
      scratch = this.scratch;
      // A join tests one token against a bucket of entries (or one entry against a bucket of
      // tokens): the token's variables are written once per token, not once per pair. Only
      // the entry's own variables change between pairs, and they never overlap the token's.
      if (this.scratchToken !== t) {
        materialize(t, scratch);
        this.scratchToken = this.testMayBind ? null : t;
      }
    }
    const from = this.pattern.frameFrom;
    const to = this.pattern.frameTo;
    for (let k = 0; k < from.length; k++)
      scratch[to[k] as number] = entryValue(e, from[k] as number);
    this.scratchBusy = true;
    try {
      return test(scratch);
    } finally {
      this.scratchBusy = outer;
    }
  }

  /** Sized by the engine to the rule's frame. */
  scratch: Value[] = [];
  private scratchBusy = false;
  /** Set by the engine when the pattern's tests call `bind`, which may overwrite any of the
   *  frame's variables: the token's variables are then written again for every pair. */
  testMayBind = false;

  /**
   * Where the left join values live: for each equality join, how many parents up from a token
   * arriving here the token built from the binding pattern's entry is, and the value's
   * position in that entry (`entryValue`: -1 is the fact address). Set by the engine when it
   * chains the rule's nodes.
   */
  leftUp: readonly number[] = [];
  leftPos: readonly number[] = [];
  /** The first join's `leftUp`/`leftPos` (most joins have one): read without array loads. */
  leftUp0 = 0;
  leftPos0 = 0;

  /** Sets where the left join values live (see `leftUp`). */
  setLeft(up: readonly number[], pos: readonly number[]): void {
    this.leftUp = up;
    this.leftPos = pos;
    this.leftUp0 = up[0] ?? 0;
    this.leftPos0 = pos[0] ?? 0;
  }

  protected leftValue(t: Token, k: number): Value {
    let x = t;
    for (let u = this.leftUp[k] as number; u > 0; u--) x = x.parent as Token;
    return entryValue(x.entry as AlphaEntry, this.leftPos[k] as number);
  }

  /** The token's join key, equal to `joinKey` of a matching entry's values. */
  protected leftKey(t: Token): unknown {
    const n = this.leftUp.length;
    if (n === 0) return undefined;
    if (n === 1) {
      let x = t;
      for (let u = this.leftUp0; u > 0; u--) x = x.parent as Token;
      return singleJoinKey(entryValue(x.entry as AlphaEntry, this.leftPos0));
    }
    let h = JOIN_HASH_SEED;
    for (let k = 0; k < n; k++) h = valueHash(this.leftValue(t, k), h);
    return h & JOIN_HASH_MASK;
  }

  protected sameJoinValues(t: Token, e: AlphaEntry): boolean {
    const right = this.pattern.eqRight;
    const ev = e.vals;
    for (let k = 0; k < right.length; k++) {
      if (!sameValue(this.leftValue(t, k), ev[right[k] as number] as Value)) return false;
    }
    return true;
  }

  /** Alpha entries for a key, oldest first (CLIPS appends to alpha memories); callers skip
   *  the ones `visible` rejects. Joining never changes the bucket being walked. */
  protected rightBucket(key: unknown, h: number): readonly AlphaEntry[] {
    return this.right.buckets.getH(key, h) ?? NONE;
  }

  abstract entryAdded(entry: AlphaEntry): void;
  /** Undoes `entryAdded` node by node, for an assert that failed part-way (a retract goes
   *  CLIPS alpha node by alpha node instead: see `retractAt` in network.ts). */
  abstract entryRemoved(entry: AlphaEntry): void;
}

/** A positive pattern CE. */
export class JoinNode extends PatternNode {
  leftAdd(t: Token): void {
    const key = this.leftKey(t);
    const h = keyHash(key);
    this.storeLeft(t, key, h);
    const flying = inFlight.fact;
    const bucket = this.scansAlpha ? this.alpha.entriesInOrder() : this.rightBucket(key, h);
    for (let k = 0; k < bucket.length; k++) {
      const e = bucket[k] as AlphaEntry;
      if (e.removed || (e.fact === flying && !visibleInFlight(this))) continue;
      if (this.hashedKey && !this.sameJoinValues(t, e)) continue;
      if (this.matches(t, e)) this.emit(t, e);
    }
  }

  entryAdded(e: AlphaEntry): void {
    // Newest partial match first (CLIPS prepends to beta memories).
    for (let t = this.leftTailOf(e, this.right); t !== null; t = t.lprev) {
      if (this.hashedKey && !this.sameJoinValues(t, e)) continue;
      if (this.matches(t, e)) this.emit(t, e);
    }
  }

  entryRemoved(e: AlphaEntry): void {
    // A token this join built from `e` has its parent in the bucket of e's key: with no such
    // bucket there is nothing to remove, and the walk over all of e's tokens (built by every
    // node reading e's memory) is skipped.
    if (this.leftTailOf(e, this.right) === null) return;
    // Newest first. Removing a token only removes tokens built after it, which this walk has
    // already passed, so the saved `prev` stays valid.
    for (let k = e.kidsTail; k !== null; ) {
      const prev: Token | null = k.eprev;
      // Tokens this join built from `e` are the ones stored by the node after it.
      if (k.owner === this.next) discardToken(k);
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
    netPath: readonly string[],
    readonly exists: boolean,
  ) {
    super(host, pattern, prefixKey, netPath);
    this.starred = true;
  }

  // Like CLIPS, a partial match here remembers one entry that matches it (its "blocker": the
  // fact that blocks a `not`, or that satisfies an `exists`), not how many do: a new partial
  // match stops looking at the first match, and only the blocker's removal makes it look for
  // another. (A session with many exposures costs one match, not all of them.)

  private passes(t: Token): boolean {
    return (t.blocker !== null) === this.exists;
  }

  leftAdd(t: Token): void {
    const key = this.leftKey(t);
    const h = keyHash(key);
    this.storeLeft(t, key, h);
    blockBy(t, this.findBlocker(t, this.rightBucket(key, h), null));
    if (this.passes(t)) this.emit(t, null);
  }

  /** The newest visible entry of `bucket` other than `except` that matches `t` (null: none).
   *  Newest: facts tend to be retracted oldest first, so the blocker is seldom the one going. */
  private findBlocker(
    t: Token,
    bucket: readonly AlphaEntry[],
    except: AlphaEntry | null,
  ): AlphaEntry | null {
    const flying = inFlight.fact;
    for (let k = bucket.length - 1; k >= 0; k--) {
      const e = bucket[k] as AlphaEntry;
      if (e === except || e.removed || (e.fact === flying && !visibleInFlight(this))) continue;
      if (this.hashedKey && !this.sameJoinValues(t, e)) continue;
      if (this.matches(t, e)) return e;
    }
    return null;
  }

  entryAdded(e: AlphaEntry): void {
    const slot = this.right.slot;
    // Newest first; emitting and removing children only touch later nodes, never this bucket.
    for (let t = this.leftTail(e.keyAt(slot), e.hashAt(slot)); t !== null; t = t.lprev) {
      // A partial match already blocked stays so whatever else matches it.
      if (t.blocker !== null) continue;
      if (this.hashedKey && !this.sameJoinValues(t, e)) continue;
      if (!this.matches(t, e)) continue;
      blockBy(t, e);
      this.flip(t);
    }
  }

  entryRemoved(e: AlphaEntry): void {
    const slot = this.right.slot;
    for (let t = this.leftTail(e.keyAt(slot), e.hashAt(slot)); t !== null; t = t.lprev) {
      if (t.blocker === e) this.release(t);
    }
  }

  /** Adds the partial matches `e` blocks to `out` (a retract lets them go in CLIPS's order,
   *  see `releaseBlocked`). */
  collectBlocked(e: AlphaEntry, out: Token[]): void {
    const slot = this.right.slot;
    for (let t = this.leftTail(e.keyAt(slot), e.hashAt(slot)); t !== null; t = t.lprev) {
      if (t.blocker === e) out.push(t);
    }
  }

  /** A partial match whose blocker is going: it looks for another, or passes (fails). */
  release(t: Token): void {
    const e = t.blocker as AlphaEntry;
    const slot = this.right.slot;
    blockBy(t, this.findBlocker(t, this.rightBucket(e.keyAt(slot), e.hashAt(slot)), e));
    // A `not` lets through no partial match built on the fact being retracted (it goes with
    // the fact: CLIPS shows no activation coming and going); an `exists` losing its last
    // match drops what it passed on at once, as CLIPS.
    if (t.blocker === null && (this.exists || !holdsFactInFlight(t))) this.flip(t);
  }

  /** A partial match whose blocker came or went for good: it starts or stops passing. */
  private flip(t: Token): void {
    if (this.passes(t)) this.emit(t, null);
    else {
      removeChildren(t);
      if (t.activation !== null) this.host.deactivate(t);
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

  /** Sized by the engine to the rule's frame. */
  scratch: Value[] = [];
  private scratchBusy = false;

  leftAdd(t: Token): void {
    this.own(t);
    const outer = this.scratchBusy;
    const frame = outer ? new Array<Value>(this.scratch.length) : this.scratch;
    materialize(t, frame);
    this.scratchBusy = true;
    let pass: boolean;
    try {
      pass = this.test(frame);
    } finally {
      this.scratchBusy = outer;
    }
    if (pass) this.emit(t, null);
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
    this.isTerminal = true;
  }

  leftAdd(t: Token): void {
    this.own(t);
    this.host.activate(this, t);
  }
}
