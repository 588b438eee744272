// Wiring rules into the RETE network and propagating facts through it: shared alpha memories
// with hashed dispatch, pattern nodes in CLIPS's visiting order, seeding and flushing.
import type { Fact } from './fact.ts';
import {
  AlphaMemory,
  inFlight,
  NegationNode,
  type PatternNode,
  removeToken,
  TerminalNode,
  TestNode,
} from './rete.ts';
import type { Disjunct, Rule } from './rule.ts';
import type { Template } from './template.ts';
import type { AlphaEntry } from './token.ts';
import { isMultifield, type Value } from './values.ts';

export class Network {
  /** CLIPS shares alpha nodes and joins between rules; their creation order decides the order
   *  in which an assert visits rules, so it is tracked per shared key (ref-counted). */
  private readonly sharedOrders = new Map<string, { order: number; refs: number }>();
  private sharedCounter = 0;
  private readonly alphaMemories = new Map<string, AlphaMemory>();

  /** Connects a rule's nodes and creates the matches of the facts already in working memory. */
  attach(rule: Rule): void {
    for (const d of rule.disjuncts) {
      for (const node of d.patternNodes) {
        node.alphaOrder = this.sharedOrder(
          `A${node.pattern.template.module.name}::${node.alphaKey}`,
        );
        node.visitOrder = this.sharedOrder(`J${node.prefixKey}`);
        node.ruleOrder = rule.order;
        insertListener(node.pattern.template.listeners, node);
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
        const ls = node.pattern.template.listeners;
        const i = ls.indexOf(node);
        if (i >= 0) ls.splice(i, 1);
        renumber(ls);
        this.releaseOrder(`A${node.pattern.template.module.name}::${node.alphaKey}`);
        this.releaseOrder(`J${node.prefixKey}`);
        this.detachAlpha(node);
      }
    }
  }

  /** Removes every partial match and alpha entry (the facts stay). */
  flush(rules: Iterable<Rule>, facts: Iterable<Fact>): void {
    for (const r of rules) for (const d of r.disjuncts) removeToken(d.root);
    for (const a of this.alphaMemories.values()) for (const idx of a.indexes) idx.buckets.clear();
    for (const f of facts) f.entries = [];
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
   * pattern node react in CLIPS's visiting order. Nothing here allocates beyond the entries.
   */
  propagateAssert(tmpl: Template, fact: Fact): void {
    const epoch = ++inFlight.epoch;
    try {
      const single = matchAlphas(tmpl, fact, epoch);
      if (single === null) return;
      inFlight.fact = fact;
      inFlight.retracting = false;
      if (single !== MANY) {
        for (const node of (single as AlphaMemory).nodes) feed(node, epoch);
      } else {
        const ls = tmpl.listeners;
        for (let i = ls.length - 1; i >= 0; i--) {
          const node = ls[i] as PatternNode;
          if (node.alpha.mark === epoch) feed(node, epoch);
        }
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
    const entries = fact.entries;
    for (const node of reached) {
      node.visited = undo;
      for (let i = entries.length - 1; i >= 0; i--) {
        const e = entries[i] as AlphaEntry;
        if (e.alpha === node.alpha) node.entryRemoved(e);
      }
    }
    for (const e of entries) e.alpha.remove(e);
    fact.entries = [];
  }

  /** Undoes an assert in the exact reverse of the order the assert was processed (as CLIPS). */
  propagateRetract(fact: Fact): void {
    const entries = fact.entries;
    if (entries.length === 0) return;
    const epoch = ++inFlight.epoch;
    const first = (entries[0] as AlphaEntry).alpha;
    let single = true;
    for (const e of entries) {
      e.alpha.mark = epoch;
      if (e.alpha !== first) single = false;
    }
    inFlight.fact = fact;
    inFlight.retracting = true;
    try {
      const nodes = single ? first.nodes : fact.template.listeners;
      const step = single ? -1 : 1;
      for (let n = single ? nodes.length - 1 : 0; n >= 0 && n < nodes.length; n += step) {
        const node = nodes[n] as PatternNode;
        if (node.alpha.mark !== epoch) continue;
        node.visited = epoch;
        for (let i = entries.length - 1; i >= 0; i--) {
          const e = entries[i] as AlphaEntry;
          if (e.alpha === node.alpha) node.entryRemoved(e);
        }
      }
    } finally {
      inFlight.fact = null;
    }
    for (const e of entries) e.alpha.remove(e);
    fact.entries = [];
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
      for (const f of tmpl.facts) alpha.add(f);
    }
    alpha.nodes.push(node);
    byRank(alpha.nodes);
    node.alpha = alpha;
    node.right = alpha.index(node.pattern.eqRight, tmpl.facts);
  }

  private detachAlpha(node: PatternNode): void {
    const alpha = node.alpha;
    alpha.nodes.splice(alpha.nodes.indexOf(node), 1);
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
    for (const f of tmpl.facts) f.entries = f.entries.filter((e) => e.alpha !== alpha);
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

function feed(node: PatternNode, epoch: number): void {
  node.visited = epoch;
  const entries = node.alpha.current;
  for (let k = 0; k < entries.length; k++) node.entryAdded(entries[k] as AlphaEntry);
}

/**
 * Runs the fact through the alpha memories that can match it and marks those that did with
 * `epoch`. Returns null when none matched, the memory when exactly one did, else MANY.
 */
function matchAlphas(tmpl: Template, fact: Fact, epoch: number): AlphaMemory | typeof MANY | null {
  let found: AlphaMemory | typeof MANY | null = null;
  const unhashed = tmpl.alphasUnhashed;
  for (let i = 0; i < unhashed.length; i++) {
    const a = unhashed[i] as AlphaMemory;
    if (a.add(fact).length === 0) continue;
    a.mark = epoch;
    found = found === null ? a : MANY;
  }
  const hashed = tmpl.alphaSlots;
  for (let i = 0; i < hashed.length; i++) {
    const h = hashed[i] as (typeof hashed)[number];
    const list = h.byValue.get(alphaHashKey(fact.slots[h.slot] as Value));
    if (list === undefined) continue;
    for (let k = 0; k < list.length; k++) {
      const a = list[k] as AlphaMemory;
      if (a.add(fact).length === 0) continue;
      a.mark = epoch;
      found = found === null ? a : MANY;
    }
  }
  return found;
}

/** More than one alpha memory matched. */
const MANY = Symbol('many');

/** Hash key of a literal for alpha dispatch; a multifield never equals a single literal. */
function alphaHashKey(v: Value): unknown {
  return isMultifield(v) ? MANY : v;
}

/**
 * Keeps listeners in the reverse of CLIPS's visiting order (asserts walk the list from the
 * end): newest alpha node first, then newest shared join; inside one shared join, newest rule first, except that a
 * `not` join removes its older rules' matches first (CLIPS removes the newest-created first).
 */
function insertListener(ls: PatternNode[], node: PatternNode): void {
  const visitsFirst = (a: PatternNode, b: PatternNode): boolean => {
    if (a.alphaOrder !== b.alphaOrder) return a.alphaOrder > b.alphaOrder;
    if (a.visitOrder !== b.visitOrder) return a.visitOrder > b.visitOrder;
    const removes = a instanceof NegationNode && !a.exists;
    return removes ? a.ruleOrder < b.ruleOrder : a.ruleOrder > b.ruleOrder;
  };
  let i = ls.length;
  while (i > 0 && visitsFirst(ls[i - 1] as PatternNode, node)) i--;
  ls.splice(i, 0, node);
  renumber(ls);
}

/** Re-ranks the listeners and keeps each alpha memory's nodes in visiting order. */
function renumber(ls: readonly PatternNode[]): void {
  for (let i = 0; i < ls.length; i++) (ls[i] as PatternNode).rank = i;
  for (const n of ls) byRank(n.alpha?.nodes ?? []);
}

/** Sorts nodes into CLIPS's visiting order for an assert (highest rank first), in place. */
function byRank(nodes: PatternNode[]): PatternNode[] {
  return nodes.sort((a, b) => b.rank - a.rank);
}
