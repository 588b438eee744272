// Defrule: conditional elements, `or` expansion into disjuncts, and the beta-network chain of
// each disjunct.
import { EngineError, errorAt } from './errors.ts';
import { type Code, type CompileContext, compileBody, compileExpr, Scope } from './expr.ts';
import type { Module } from './module.ts';
import { compilePattern, type RuleVars } from './pattern.ts';
import { netPath } from './pattern-net.ts';
import { headName, isList, type SExpr, type SList, symbolName } from './reader.ts';
import {
  type BetaNode,
  JoinNode,
  NegationNode,
  type NetworkHost,
  type PatternNode,
  TerminalNode,
  TestNode,
} from './rete.ts';
import type { Template } from './template.ts';
import { Token } from './token.ts';
import { FALSE, truthy, type Value } from './values.ts';

type CE =
  | { kind: 'pattern'; p: SList; factVar: string | null }
  | { kind: 'not' | 'exists'; inner: CE[]; at: SList }
  | { kind: 'test'; expr: SExpr }
  | { kind: 'or' | 'and'; inner: CE[]; at: SList };

type FlatCE = Exclude<CE, { kind: 'or' | 'and' }>;

/** One conjunctive alternative of a rule (a rule without `or` has exactly one). */
export class Disjunct {
  readonly patternNodes: PatternNode[] = [];
  readonly root: Token = new Token(null);
  /** An empty frame of the scope's final size, copied for each firing. */
  blank: Value[] = [];
  first: BetaNode | null = null;
  terminal: TerminalNode | null = null;

  constructor(
    readonly rule: Rule,
    readonly scope: Scope,
  ) {}

  rhs: Code = () => FALSE;
}

export class Rule {
  readonly disjuncts: Disjunct[] = [];
  constructor(
    readonly name: string,
    readonly module: Module,
    readonly salience: number,
    readonly autoFocus: boolean,
    /** Definition order across the engine; later rules are visited first on an assert. */
    readonly order: number,
  ) {}

  /** The agenda level of this rule's salience, cached by `Agenda.add` (one map lookup per
   *  rule instead of per activation); valid while `levelEpoch` is the agenda's epoch. */
  level: unknown = null;
  levelEpoch = -1;
}

export interface RuleBuildEnv {
  readonly network: NetworkHost;
  readonly ctx: (scope: Scope) => CompileContext;
  readonly evalConstant: (e: SExpr, c: CompileContext) => Value;
}

/** Parses and compiles `(defrule name [comment] [(declare ...)] CE* => action*)`. */
export function buildRule(
  e: SList,
  name: string,
  module: Module,
  order: number,
  env: RuleBuildEnv,
): Rule {
  const construct = `defrule ${module.name}::${name}`;
  let i = 2;
  if (
    e.items[i]?.kind === 'atom' &&
    (e.items[i] as { tok: { kind: string } }).tok.kind === 'STRING'
  )
    i++;
  let salience = 0;
  let autoFocus = false;
  const arrow = e.items.findIndex((x) => symbolName(x) === '=>');
  if (arrow < 0) throw errorAt(e, 'defrule is missing =>', construct);
  const lhsItems: SExpr[] = [];
  for (; i < arrow; i++) {
    const item = e.items[i] as SExpr;
    if (headName(item) === 'declare' && isList(item)) {
      for (const d of item.items.slice(1)) {
        const prop = headName(d);
        if (!isList(d) || d.items.length !== 2)
          throw errorAt(d, 'declare expects (salience N) or (auto-focus TRUE|FALSE)', construct);
        const value = env.evalConstant(d.items[1] as SExpr, env.ctx(new Scope(false)));
        if (prop === 'salience') {
          if (typeof value !== 'bigint' || value < -10000n || value > 10000n) {
            throw errorAt(
              d,
              'salience must be an integer between -10000 and 10000',
              construct,
              'NAU_ENGINE_BUILD',
            );
          }
          salience = Number(value);
        } else if (prop === 'auto-focus') {
          autoFocus = truthy(value);
        } else {
          throw errorAt(d, `unknown rule property ${prop ?? '?'}`, construct);
        }
      }
      continue;
    }
    lhsItems.push(item);
  }
  const rule = new Rule(name, module, salience, autoFocus, order);
  const ces = parseCEs(lhsItems, construct);
  for (const flat of expand(ces, construct)) {
    rule.disjuncts.push(buildDisjunct(rule, flat, e.items.slice(arrow + 1), env));
  }
  return rule;
}

function parseCEs(items: readonly SExpr[], construct: string): CE[] {
  const out: CE[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as SExpr;
    if (item.kind === 'atom') {
      if (item.tok.kind === 'SF_VAR' && symbolName(items[i + 1]) === '<-' && isList(items[i + 2])) {
        const p = items[i + 2] as SList;
        const inner = parseCE(p, construct);
        if (inner.kind !== 'pattern')
          throw errorAt(item, 'only a pattern can be bound to a fact address', construct);
        out.push({ ...inner, factVar: item.tok.text });
        i += 2;
        continue;
      }
      throw errorAt(
        item,
        `unexpected '${item.tok.text || item.tok.kind}' on the left-hand side`,
        construct,
      );
    }
    out.push(parseCE(item, construct));
  }
  return out;
}

function parseCE(item: SList, construct: string): CE {
  const head = headName(item);
  switch (head) {
    case 'not':
    case 'exists': {
      const inner = parseCEs(item.items.slice(1), construct);
      if (inner.length === 0) throw errorAt(item, `${head} needs a pattern`, construct);
      if (head === 'not' && inner.length !== 1)
        throw errorAt(item, 'not takes exactly one conditional element', construct);
      return { kind: head, inner, at: item };
    }
    case 'or':
    case 'and':
      return { kind: head, inner: parseCEs(item.items.slice(1), construct), at: item };
    case 'test':
      if (item.items.length !== 2)
        throw errorAt(item, 'test takes exactly one expression', construct);
      return { kind: 'test', expr: item.items[1] as SExpr };
    case 'logical':
    case 'forall':
      throw errorAt(
        item,
        `the ${head} conditional element is not supported`,
        construct,
        'NAU_ENGINE_BUILD',
      );
    default:
      return { kind: 'pattern', p: item, factVar: null };
  }
}

/** Distributes `or` over the conjunction: each result is one disjunct's flat CE list. */
function expand(ces: readonly CE[], construct: string): FlatCE[][] {
  let acc: FlatCE[][] = [[]];
  for (const ce of ces) {
    const options = alternatives(ce, construct);
    const next: FlatCE[][] = [];
    for (const a of acc) for (const o of options) next.push([...a, ...o]);
    acc = next;
  }
  return acc;
}

function alternatives(ce: CE, construct: string): FlatCE[][] {
  switch (ce.kind) {
    case 'and':
      return expand(ce.inner, construct);
    case 'or':
      return ce.inner.flatMap((x) => alternatives(x, construct));
    case 'not':
    case 'exists': {
      const inner = ce.inner;
      if (inner.length !== 1 || inner[0]?.kind !== 'pattern') {
        throw errorAt(
          ce.at,
          `${ce.kind} over several conditional elements is not supported; use one pattern`,
          construct,
          'NAU_ENGINE_BUILD',
        );
      }
      return [[ce]];
    }
    default:
      return [[ce]];
  }
}

function buildDisjunct(
  rule: Rule,
  ces: FlatCE[],
  rhsItems: readonly SExpr[],
  env: RuleBuildEnv,
): Disjunct {
  // CLIPS 6.30 needs no (initial-fact) for rules that start with not/exists/test or have no
  // LHS: the disjunct's root token is the left input of the first node.
  const scope = new Scope(true);
  const c = env.ctx(scope);
  const vars: RuleVars = { boundIn: new Map() };
  const d = new Disjunct(rule, scope);
  const nodes: BetaNode[] = [];
  // A join's identity in CLIPS is its LHS prefix, with the test CEs that follow it attached.
  const renames = new Map<string, string>();
  const canon = ces.map((ce) => canonicalCE(ce, renames));
  const joinKey = (n: number): string => {
    let m = n;
    while (ces[m + 1]?.kind === 'test') m++;
    return canon.slice(0, m + 1).join('');
  };
  ces.forEach((ce, n) => {
    if (ce.kind === 'test') {
      const code = compileExpr(ce.expr, c);
      nodes.push(new TestNode(env.network, (f) => truthy(code(f))));
      return;
    }
    if (ce.kind === 'pattern') {
      const pat = compilePattern(ce.p, c, vars, n, ce.factVar);
      const path = netPath(ce.p, multiSlot(pat), new Set(pat.bound));
      const node = new JoinNode(env.network, pat, joinKey(n), path);
      node.testMayBind = callsBind(ce.p);
      d.patternNodes.push(node);
      nodes.push(node);
      return;
    }
    const inner = ce.inner[0] as Extract<FlatCE, { kind: 'pattern' }>;
    const pat = compilePattern(inner.p, c, vars, n, inner.factVar);
    // Variables first bound inside not/exists are not visible after it.
    for (const v of pat.bound) {
      c.scope.vars.delete(v);
      vars.boundIn.delete(v);
    }
    const path = netPath(inner.p, multiSlot(pat), new Set(pat.bound));
    const node = new NegationNode(env.network, pat, joinKey(n), path, ce.kind === 'exists');
    node.testMayBind = callsBind(inner.p);
    d.patternNodes.push(node);
    nodes.push(node);
  });
  d.rhs = compileBody(rhsItems, c);
  d.blank = new Array<Value>(scope.size).fill(undefined as unknown as Value);
  locateJoinValues(nodes, scope.size);
  const terminal = new TerminalNode(env.network, d);
  nodes.push(terminal);
  for (let k = 0; k + 1 < nodes.length; k++) (nodes[k] as BetaNode).next = nodes[k + 1] as BetaNode;
  d.first = nodes[0] as BetaNode;
  if (d.first instanceof JoinNode) d.first.rootLevel = true;
  d.terminal = terminal;
  return d;
}

/** Whether a slot of the pattern's template is a multislot (an ordered fact's one slot is). */
function multiSlot(pat: { readonly template: Template }): (slot: string) => boolean {
  const t = pat.template;
  return (slot) => t.implied || t.slots[t.slotIndex.get(slot) ?? -1]?.multi === true;
}

/** Whether an expression calls `bind` anywhere (a pattern's tests may then rewrite any of the
 *  frame's variables). */
function callsBind(e: SExpr): boolean {
  if (e.kind !== 'list') return false;
  if (headName(e) === 'bind') return true;
  return e.items.some(callsBind);
}

/**
 * Tokens keep no frames: a variable's value stays in the alpha entry of the pattern that bound
 * it. A token arriving at node n has n ancestors below the root, one per node; the one built by
 * the pattern node at position k is k + 1 deep. So each equality join of node n finds its value
 * n - (k + 1) parents up, at a fixed position of that token's entry.
 */
function locateJoinValues(nodes: readonly BetaNode[], frameSize: number): void {
  nodes.forEach((node, n) => {
    if (node instanceof TestNode) node.scratch = new Array<Value>(frameSize).fill(FALSE);
    if (!(node instanceof JoinNode || node instanceof NegationNode)) return;
    node.scratch = new Array<Value>(frameSize).fill(FALSE);
    const up: number[] = [];
    const pos: number[] = [];
    for (const idx of node.pattern.eqLeft) {
      let found = false;
      for (let k = n - 1; k >= 0 && !found; k--) {
        const earlier = nodes[k];
        // Only positive patterns pass their values on (not/exists variables stay inside).
        if (!(earlier instanceof JoinNode)) continue;
        const p = earlier.pattern;
        for (const i of p.frameWrites) {
          if (p.writes[i] !== idx) continue;
          up.push(n - (k + 1));
          pos.push(p.valuePos[i] as number);
          found = true;
          break;
        }
      }
      if (!found) {
        throw new EngineError(
          'NAU_ENGINE_BUILD',
          `internal: join variable at frame index ${idx} has no binding pattern`,
        );
      }
    }
    node.setLeft(up, pos);
  });
}

/**
 * The CE text with variables renamed by first appearance. Rules whose LHS share a prefix share
 * join nodes in CLIPS; the engine uses this key to visit pattern nodes in CLIPS's order.
 */
function canonicalCE(ce: FlatCE, renames: Map<string, string>): string {
  const ser = (e: SExpr): string => {
    if (e.kind === 'list') return `(${e.items.map(ser).join(' ')})`;
    const t = e.tok;
    // A wildcard tests nothing, like a variable seen for the first time.
    if (t.kind === 'SF_WILD' || t.kind === 'MF_WILD') {
      const r = `v${renames.size}`;
      renames.set(`\u0000${renames.size}`, r);
      return `${t.kind === 'MF_WILD' ? '$?' : '?'}${r}`;
    }
    if (t.kind === 'SF_VAR' || t.kind === 'MF_VAR') {
      let r = renames.get(t.text);
      if (r === undefined) {
        r = `v${renames.size}`;
        renames.set(t.text, r);
      }
      return `${t.kind === 'MF_VAR' ? '$?' : '?'}${r}`;
    }
    return t.kind === 'STRING' ? JSON.stringify(t.text) : `${t.kind}:${t.text}`;
  };
  switch (ce.kind) {
    case 'pattern':
      // A fact-address binding (`?f <-`) tests nothing: CLIPS shares the join all the same.
      return `P${ser(ce.p)}`;
    case 'test':
      return `T${ser(ce.expr)}`;
    default: {
      const inner = ce.inner[0] as Extract<FlatCE, { kind: 'pattern' }>;
      return `${ce.kind === 'not' ? 'N' : 'E'}${ser(inner.p)}`;
    }
  }
}
