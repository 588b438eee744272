// Wiring rules into the RETE network and propagating facts through it: shared alpha memories
// with hashed dispatch, pattern nodes in CLIPS's visiting order, seeding and flushing.
import type { Fact } from './fact.ts';
import {
  AlphaMemory,
  dropAlphaMatches,
  inFlight,
  JoinNode,
  type MergedOrder,
  NegationNode,
  type PatternNode,
  releaseBlocked,
  removeToken,
  TerminalNode,
  TestNode,
} from './rete.ts';
import type { Disjunct, Rule } from './rule.ts';
import type { Template } from './template.ts';
import type { AlphaEntry, Token } from './token.ts';
import { isMultifield, type Value } from './values.ts';

export class Network {
  /** CLIPS shares alpha nodes and joins between rules; their creation order decides the order
   *  in which an assert visits rules, so it is tracked per shared key (ref-counted). */
  private readonly sharedOrders = new Map<string, { order: number; refs: number }>();
  private sharedCounter = 0;
  private readonly alphaMemories = new Map<string, AlphaMemory>();
  /** Bumped whenever node lists are re-ranked or changed: cached merged visiting orders built
   *  under an older value are dropped (see `mergedNodes`). */
  private mergeEpoch = 0;

  /** Connects a rule's nodes and creates the matches of the facts already in working memory. */
  attach(rule: Rule): void {
    // Where CLIPS's pattern network puts the rule's patterns decides the order in which asserts
    // visit every alpha node of their templates: the templates are re-ranked before their next
    // assert or retract (once for a whole batch of rules, see `rank`).
    for (const d of rule.disjuncts) {
      for (const node of d.patternNodes) {
        const tmpl = node.pattern.template;
        node.netStop = tmpl.patternNet.add(node.netPath);
        tmpl.ranksStale = true;
      }
    }
    for (const d of rule.disjuncts) {
      for (const node of d.patternNodes) {
        node.visitOrder = this.sharedOrder(`J${node.prefixKey}`);
        node.ruleOrder = rule.order;
        node.pattern.template.listeners.push(node);
        this.attachAlpha(node);
      }
      // The alpha memories already hold the facts in working memory; pushing the root token
      // through creates each existing match once, without transient add/remove traces.
      (d.first as NonNullable<typeof d.first>).leftAdd(d.root);
    }
  }

  detach(rule: Rule): void {
    for (const d of rule.disjuncts) {
      removeToken(d.root);
      for (const node of d.patternNodes) {
        const tmpl = node.pattern.template;
        const ls = tmpl.listeners;
        const i = ls.indexOf(node);
        if (i >= 0) ls.splice(i, 1);
        if (node.netStop !== null) tmpl.patternNet.remove(node.netStop);
        node.netStop = null;
        tmpl.ranksStale = true;
        this.releaseOrder(`J${node.prefixKey}`);
        this.detachAlpha(node);
      }
    }
  }

  /** Removes every partial match and alpha entry (the facts stay). */
  flush(rules: Iterable<Rule>, facts: Iterable<Fact>): void {
    for (const r of rules) for (const d of r.disjuncts) removeToken(d.root);
    for (const a of this.alphaMemories.values()) for (const idx of a.indexes) idx.buckets.clear();
    for (const f of facts) f.entries = null;
  }

  /**
   * Puts every rule's root token back. CLIPS re-activates LHS-less rules first, then rules
   * starting with a test CE, then those starting with not/exists, newest rule first in each.
   */
  seed(rules: Iterable<Rule>): void {
    const group = (d: Disjunct): number =>
      d.first instanceof TerminalNode ? 0 : d.first instanceof TestNode ? 1 : 2;
    const disjuncts = [...rules].flatMap((r) => r.disjuncts);
    disjuncts.sort((a, b) => group(a) - group(b) || b.rule.order - a.rule.order);
    for (const d of disjuncts) (d.first as NonNullable<typeof d.first>).leftAdd(d.root);
  }

  /**
   * Matches a new fact once per alpha memory (marking those that matched), then lets each
   * pattern node react in CLIPS's visiting order (the matched memories' node lists merged by
   * rank, so the cost does not depend on how many other patterns the template has).
   */
  propagateAssert(tmpl: Template, fact: Fact): void {
    if (tmpl.ranksStale) this.rank(tmpl);
    const epoch = ++inFlight.epoch;
    try {
      const matched = matchAlphas(tmpl, fact);
      if (matched === null) return;
      inFlight.fact = fact;
      inFlight.retracting = false;
      if (!Array.isArray(matched)) {
        for (const node of (matched as AlphaMemory).nodes) feed(node, epoch);
      } else {
        const alphas = matched as AlphaMemory[];
        const merged = mergedNodes(alphas, this.mergeEpoch);
        if (merged !== null) {
          for (let k = 0; k < merged.length; k++) feed(merged[k] as PatternNode, epoch);
        } else feedMerging(alphas, epoch);
      }
    } catch (x) {
      // A test or host function threw part-way (e.g. a failing host function in a join test):
      // undo what the assert built so far, so working memory never holds a half-matched fact.
      this.rollbackAssert(tmpl, fact, epoch);
      throw x;
    } finally {
      inFlight.fact = null;
    }
  }

  /**
   * Removes the matches a failed assert created: the nodes it reached give their tokens back,
   * newest first, as in a retract; nodes it never reached must not see the fact meanwhile.
   * (A not/exists node that threw in the middle of updating its counts is not repaired.)
   */
  private rollbackAssert(tmpl: Template, fact: Fact, epoch: number): void {
    const undo = ++inFlight.epoch;
    const reached: PatternNode[] = [];
    for (const node of tmpl.listeners) {
      if (node.visited === epoch) reached.push(node);
      else node.visited = undo;
    }
    inFlight.fact = fact;
    inFlight.retracting = true;
    for (const node of reached) {
      node.visited = undo;
      // Newest entry first.
      for (let e = fact.entries; e !== null; e = e.nextOfFact) {
        if (e.alpha === node.alpha) node.entryRemoved(e);
      }
    }
    for (let e = fact.entries; e !== null; e = e.nextOfFact) e.alpha.remove(e);
    fact.entries = null;
  }

  /** Undoes an assert: CLIPS alpha node by alpha node, in reverse visiting order (`retractAt`). */
  propagateRetract(fact: Fact): void {
    const entries = fact.entries;
    if (entries === null) return;
    if (fact.template.ranksStale) this.rank(fact.template);
    // The distinct memories the fact is in (usually one).
    const first = entries.alpha;
    let alphas: AlphaMemory[] | null = null;
    for (let e: AlphaEntry | null = entries.nextOfFact; e !== null; e = e.nextOfFact) {
      if (e.alpha === first || alphas?.includes(e.alpha)) continue;
      if (alphas === null) alphas = [first];
      alphas.push(e.alpha);
    }
    inFlight.fact = fact;
    inFlight.retracting = true;
    try {
      retracting.alphaNode = NO_ALPHA_NODE;
      if (alphas === null) {
        const nodes = first.nodes;
        for (let n = nodes.length - 1; n >= 0; n--) retractAt(nodes[n] as PatternNode, entries);
      } else {
        const merged = mergedNodes(alphas, this.mergeEpoch);
        if (merged !== null) {
          for (let n = merged.length - 1; n >= 0; n--) retractAt(merged[n] as PatternNode, entries);
        } else retractMerging(alphas, entries);
      }
      releaseBlocked(retracting.pending);
    } finally {
      // (After a throw: a partial match left pending must not be released by the next retract.)
      if (retracting.pending.length > 0) retracting.pending.length = 0;
      inFlight.fact = null;
    }
    for (let e: AlphaEntry | null = entries; e !== null; e = e.nextOfFact) e.alpha.remove(e);
    fact.entries = null;
  }

  /** Puts a template's listeners in visiting order after rules came or went. */
  private rank(tmpl: Template): void {
    rankAlphaNodes(tmpl);
    this.mergeEpoch++;
  }

  /** Connects a pattern node to its shared alpha memory (created and filled on first use). */
  private attachAlpha(node: PatternNode): void {
    const tmpl = node.pattern.template;
    let alpha = this.alphaMemories.get(node.pattern.shareKey);
    if (alpha === undefined) {
      alpha = new AlphaMemory(node.pattern.shareKey, node.pattern);
      this.alphaMemories.set(alpha.key, alpha);
      const d = node.pattern.discriminator;
      if (d === null) tmpl.alphasUnhashed.push(alpha);
      else {
        let slot = tmpl.alphaSlots.find((h) => h.slot === d.slot);
        if (slot === undefined) {
          slot = { slot: d.slot, byValue: new Map() };
          tmpl.alphaSlots.push(slot);
        }
        const k = alphaHashKey(d.value);
        slot.byValue.set(k, [...(slot.byValue.get(k) ?? []), alpha]);
      }
      // As `matchAlphas` dispatches: `accepts` does not test a dispatched literal again.
      for (const f of tmpl.facts) {
        if (d === null || alphaHashKey(f.slots[d.slot] as Value) === alphaHashKey(d.value)) {
          alpha.add(f);
        }
      }
    }
    alpha.nodes.push(node);
    node.alpha = alpha;
    if (node.rootLevel && node instanceof JoinNode && node.pattern.eqRight.length === 0) {
      node.scansAlpha = true;
    } else node.right = alpha.index(node.pattern.eqRight, tmpl.facts);
    this.mergeEpoch++;
  }

  private detachAlpha(node: PatternNode): void {
    const alpha = node.alpha;
    alpha.nodes.splice(alpha.nodes.indexOf(node), 1);
    this.mergeEpoch++;
    if (alpha.nodes.length > 0) return;
    this.alphaMemories.delete(alpha.key);
    const tmpl = node.pattern.template;
    const d = node.pattern.discriminator;
    if (d === null) tmpl.alphasUnhashed.splice(tmpl.alphasUnhashed.indexOf(alpha), 1);
    else {
      const byValue = tmpl.alphaSlots.find((h) => h.slot === d.slot)?.byValue;
      const k = alphaHashKey(d.value);
      const rest = (byValue?.get(k) ?? []).filter((a) => a !== alpha);
      if (rest.length > 0) byValue?.set(k, rest);
      else byValue?.delete(k);
    }
    for (const f of tmpl.facts) {
      let kept: AlphaEntry | null = null;
      let last: AlphaEntry | null = null;
      for (let e = f.entries; e !== null; e = e.nextOfFact) {
        if (e.alpha === alpha) continue;
        if (last === null) kept = e;
        else last.nextOfFact = e;
        last = e;
      }
      if (last !== null) last.nextOfFact = null;
      f.entries = kept;
    }
  }

  private sharedOrder(key: string): number {
    let shared = this.sharedOrders.get(key);
    if (shared === undefined) {
      shared = { order: this.sharedCounter++, refs: 0 };
      this.sharedOrders.set(key, shared);
    }
    shared.refs++;
    return shared.order;
  }

  private releaseOrder(key: string): void {
    const shared = this.sharedOrders.get(key);
    if (shared && --shared.refs === 0) this.sharedOrders.delete(key);
  }
}

/** `alphaOrder` of the first alpha node in CLIPS's visiting order (the later ones count down). */
const FIRST_ALPHA_NODE = 1 << 30;

/**
 * Numbers the alpha nodes of a template's listeners in CLIPS's visiting order
 * (`PatternNode.alphaOrder`: higher visited first; nodes of one CLIPS alpha node share it),
 * sorts the listeners and each of the template's alpha memories' nodes into that order.
 */
function rankAlphaNodes(tmpl: Template): void {
  const order = tmpl.patternNet.order();
  const ls = tmpl.listeners;
  for (const n of ls) {
    n.alphaOrder = FIRST_ALPHA_NODE - (n.netStop === null ? 0 : (order.get(n.netStop) ?? 0));
  }
  ls.sort((a, b) => (visitsFirst(a, b) ? 1 : visitsFirst(b, a) ? -1 : 0));
  const alphas = new Set<AlphaMemory>();
  for (let i = 0; i < ls.length; i++) {
    const n = ls[i] as PatternNode;
    n.rank = i;
    alphas.add(n.alpha);
  }
  for (const a of alphas) byRank(a.nodes);
  tmpl.ranksStale = false;
}

const NO_ALPHA_NODE = -1;

/** The retract in flight: the CLIPS alpha node (`PatternNode.alphaOrder`) whose partial matches
 *  it removed last, and the partial matches the fact blocked in that alpha node's not/exists
 *  nodes. */
const retracting = { alphaNode: NO_ALPHA_NODE, pending: [] as Token[] };

/**
 * A node reacts to the retract of the fact whose `entries` it reads, in reverse visiting
 * order (the nodes of one CLIPS alpha node come together). As CLIPS walks each alpha match,
 * the first node of an alpha node removes every partial match its joins built on the fact,
 * newest first whichever rule's join built it; then the partial matches the fact blocked in
 * that alpha node's not/exists nodes look for another blocker or go through, most recently
 * blocked first (`releaseBlocked`, when the next alpha node starts or the retract ends).
 */
function retractAt(node: PatternNode, entries: AlphaEntry): void {
  if (node.alphaOrder !== retracting.alphaNode) {
    releaseBlocked(retracting.pending);
    retracting.alphaNode = node.alphaOrder;
    dropAlphaMatches(entries, node.alphaOrder);
  }
  // Joins have nothing left to do: the fact's partial matches are gone, and a fact being
  // retracted joins nothing new. Only not/exists nodes (`starred`) react.
  if (!node.starred || node.leftEmpty()) return;
  for (let e: AlphaEntry | null = entries; e !== null; e = e.nextOfFact) {
    if (e.alpha === node.alpha) (node as NegationNode).collectBlocked(e, retracting.pending);
  }
}

/** At most this many merged orders are cached per alpha memory (facts matching ever new
 *  combinations of memories fall back to merging on the fly). */
const MAX_MERGED = 64;

/**
 * The nodes of several alpha memories a fact matched, merged into visiting order (highest rank
 * first). Cached in a trie rooted at the first memory: a template's facts match the same few
 * combinations over and over (e.g. `candidate`: the generic patterns and one source-specific
 * one), and merging per assert and retract cost more than the visits. Ranks only change when
 * rules are attached or detached (`Network.mergeEpoch`). Null when the cache is full.
 */
function mergedNodes(alphas: readonly AlphaMemory[], epoch: number): readonly PatternNode[] | null {
  const a0 = alphas[0] as AlphaMemory;
  if (a0.merged === null || a0.mergedEpoch !== epoch) {
    a0.merged = { nodes: null, next: null };
    a0.mergedEpoch = epoch;
    a0.mergedCount = 0;
  }
  let t: MergedOrder = a0.merged;
  for (let i = 1; i < alphas.length; i++) {
    let m = t.next;
    if (m === null) {
      m = new Map();
      t.next = m;
    }
    const a = alphas[i] as AlphaMemory;
    let c = m.get(a);
    if (c === undefined) {
      if (a0.mergedCount >= MAX_MERGED) return null;
      a0.mergedCount++;
      c = { nodes: null, next: null };
      m.set(a, c);
    }
    t = c;
  }
  if (t.nodes === null) {
    const all: PatternNode[] = [];
    for (const a of alphas) all.push(...a.nodes);
    t.nodes = byRank(all);
  }
  return t.nodes;
}

/** Feeds the nodes of several alpha memories in visiting order, merging their lists by rank
 *  (when the merged orders are not cached). */
function feedMerging(alphas: readonly AlphaMemory[], epoch: number): void {
  const pos = alphas.map(() => 0);
  for (;;) {
    // The next node in visiting order: the highest rank among the lists' heads.
    let best = -1;
    let bestRank = -1;
    for (let k = 0; k < alphas.length; k++) {
      const nodes = (alphas[k] as AlphaMemory).nodes;
      const p = pos[k] as number;
      // (Bounds checked first: reading past the end is a slow path in V8.)
      if (p < nodes.length && (nodes[p] as PatternNode).rank > bestRank) {
        best = k;
        bestRank = (nodes[p] as PatternNode).rank;
      }
    }
    if (best < 0) break;
    const nodes = (alphas[best] as AlphaMemory).nodes;
    feed(nodes[(pos[best] as number)++] as PatternNode, epoch);
  }
}

/** Visits the nodes of several alpha memories in reverse visiting order for a retract (the
 *  lowest rank among the lists' tails first), when the merged orders are not cached. */
function retractMerging(alphas: readonly AlphaMemory[], entries: AlphaEntry): void {
  const pos = alphas.map((a) => a.nodes.length - 1);
  for (;;) {
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let k = 0; k < alphas.length; k++) {
      const p = pos[k] as number;
      // (Bounds checked first: a negative index is a slow property lookup in V8.)
      if (p < 0) continue;
      const node = (alphas[k] as AlphaMemory).nodes[p] as PatternNode;
      if (node.rank < bestRank) {
        best = k;
        bestRank = node.rank;
      }
    }
    if (best < 0) break;
    const nodes = (alphas[best] as AlphaMemory).nodes;
    retractAt(nodes[(pos[best] as number)--] as PatternNode, entries);
  }
}

function feed(node: PatternNode, epoch: number): void {
  node.visited = epoch;
  if (node.leftEmpty()) return;
  const one = node.alpha.one;
  if (one !== null) {
    node.entryAdded(one);
    return;
  }
  const entries = node.alpha.current;
  for (let k = 0; k < entries.length; k++) node.entryAdded(entries[k] as AlphaEntry);
}

/**
 * Runs the fact through the alpha memories that can match it. Returns null when none matched,
 * the memory when exactly one did, else all of them.
 */
function matchAlphas(tmpl: Template, fact: Fact): AlphaMemory | AlphaMemory[] | null {
  let found: AlphaMemory | AlphaMemory[] | null = null;
  const unhashed = tmpl.alphasUnhashed;
  for (let i = 0; i < unhashed.length; i++) {
    const a = unhashed[i] as AlphaMemory;
    if (!a.add(fact)) continue;
    found = addMatched(found, a);
  }
  const hashed = tmpl.alphaSlots;
  for (let i = 0; i < hashed.length; i++) {
    const h = hashed[i] as (typeof hashed)[number];
    const list = h.byValue.get(alphaHashKey(fact.slots[h.slot] as Value));
    if (list === undefined) continue;
    for (let k = 0; k < list.length; k++) {
      const a = list[k] as AlphaMemory;
      if (!a.add(fact)) continue;
      found = addMatched(found, a);
    }
  }
  return found;
}

function addMatched(
  found: AlphaMemory | AlphaMemory[] | null,
  a: AlphaMemory,
): AlphaMemory | AlphaMemory[] {
  if (found === null) return a;
  if (!Array.isArray(found)) return [found, a];
  found.push(a);
  return found;
}

/** The dispatch key of a multifield value: it never equals a single literal. */
const MANY = Symbol('many');

/** Hash key of a literal for alpha dispatch; a multifield never equals a single literal. */
function alphaHashKey(v: Value): unknown {
  return isMultifield(v) ? MANY : v;
}

/**
 * Listeners are kept in the reverse of CLIPS's visiting order (asserts walk the list from the
 * end): CLIPS alpha node first (`alphaOrder`), then newest shared join; inside one shared join,
 * newest rule first, except that a `not` join removes its older rules' matches first (CLIPS
 * removes the newest-created first).
 */
function visitsFirst(a: PatternNode, b: PatternNode): boolean {
  if (a.alphaOrder !== b.alphaOrder) return a.alphaOrder > b.alphaOrder;
  if (a.visitOrder !== b.visitOrder) return a.visitOrder > b.visitOrder;
  const removes = a instanceof NegationNode && !a.exists;
  return removes ? a.ruleOrder < b.ruleOrder : a.ruleOrder > b.ruleOrder;
}

/** Sorts nodes into CLIPS's visiting order for an assert (highest rank first), in place. */
function byRank(nodes: PatternNode[]): PatternNode[] {
  return nodes.sort((a, b) => b.rank - a.rank);
}
