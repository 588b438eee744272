// Property test: the RETE network must agree with a naive, obviously-correct matcher.
// Random rule sets (a plain-data AST printed as CLIPS) and random assert/retract/modify/run
// sequences are applied to both. After every operation the agenda (rule + basis fact ids) and the
// working memory (ids + printed facts) must be identical. Rules only assert `(fired rN vars...)`
// and never negate `fired`, so the working memory after (run) is a fixpoint that does not depend
// on the firing order; only the ids of the facts asserted during one run are a permutation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Fact, JsAtom } from '../../src/engine/index.ts';
import { Engine, Sym } from '../../src/engine/index.ts';

// ---- the rule AST ----------------------------------------------------------------------------

// Small domains so that joins and literals match often; patterns may also name z and 3, which
// only the item's n slot (3) ever holds.
const SYMS = ['x', 'y'];
const INTS = ['1', '2', '3'];
const DOMAIN = ['x', 'y', '1', '2'];
const LITERALS = ['x', 'y', '1', '2', '3', 'z'];

type Term =
  | { readonly t: 'any' }
  | { readonly t: 'lit'; readonly v: string }
  | { readonly t: 'notLit'; readonly v: string }
  | { readonly t: 'orLit'; readonly v: string; readonly w: string }
  | { readonly t: 'var'; readonly name: string }
  | { readonly t: 'notVar'; readonly name: string }
  | { readonly t: 'varNotLit'; readonly name: string; readonly v: string }
  | { readonly t: 'varPred'; readonly name: string; readonly pred: Expr }
  | { readonly t: 'multiAny' }
  | { readonly t: 'multiVar'; readonly name: string };

type Arg = { readonly var: string } | { readonly lit: string };

type Expr =
  | { readonly op: 'eq' | 'neq'; readonly a: Arg; readonly b: Arg }
  | { readonly op: 'gt'; readonly a: Arg; readonly k: number }
  | { readonly op: 'len'; readonly m: string; readonly k: number }
  | { readonly op: 'member'; readonly lit: string; readonly m: string }
  | { readonly op: 'not'; readonly e: Expr }
  | { readonly op: 'or'; readonly a: Expr; readonly b: Expr };

type Pattern =
  | { readonly tmpl: 'a' | 'b' | 'c' | 'fired'; readonly terms: readonly Term[] }
  | {
      readonly tmpl: 'item';
      readonly kind: Term | null;
      readonly n: Term | null;
      readonly tags: readonly Term[] | null;
    };

type CE =
  | { readonly ce: 'pat' | 'not' | 'exists'; readonly p: Pattern }
  | { readonly ce: 'test'; readonly e: Expr }
  | { readonly ce: 'or'; readonly a: Pattern; readonly b: Pattern };

type FlatCE = Exclude<CE, { ce: 'or' }>;

interface Rule {
  readonly name: string;
  readonly salience: number;
  readonly ces: readonly CE[];
  /** Variables bound by positive patterns, in binding order: the RHS records them. */
  readonly rhsVars: readonly string[];
}

/** Variable names: v (single) and m (multifield) are rule-wide; l and k are local to a not/exists. */
const isMultiVar = (name: string): boolean => name.startsWith('m') || name.startsWith('k');

const ANY: Term = { t: 'any' };

function pick<T>(xs: readonly T[], n: number): T {
  return xs[n % xs.length] as T;
}

// ---- printing as CLIPS -------------------------------------------------------------------------

function showArg(a: Arg): string {
  return 'var' in a ? `?${a.var}` : a.lit;
}

function showExpr(e: Expr): string {
  switch (e.op) {
    case 'eq':
    case 'neq':
      return `(${e.op} ${showArg(e.a)} ${showArg(e.b)})`;
    case 'gt':
      // Guarded so a symbol never reaches `>` (that would be a runtime error, not a mismatch).
      return `(and (integerp ${showArg(e.a)}) (> ${showArg(e.a)} ${e.k}))`;
    case 'len':
      return `(> (length$ ?${e.m}) ${e.k})`;
    case 'member':
      return `(member$ ${e.lit} ?${e.m})`;
    case 'not':
      return `(not ${showExpr(e.e)})`;
    case 'or':
      return `(or ${showExpr(e.a)} ${showExpr(e.b)})`;
  }
}

function showTerm(t: Term): string {
  switch (t.t) {
    case 'any':
      return '?';
    case 'lit':
      return t.v;
    case 'notLit':
      return `~${t.v}`;
    case 'orLit':
      return `${t.v}|${t.w}`;
    case 'var':
      return `?${t.name}`;
    case 'notVar':
      return `~?${t.name}`;
    case 'varNotLit':
      return `?${t.name}&~${t.v}`;
    case 'varPred':
      return `?${t.name}&:${showExpr(t.pred)}`;
    case 'multiAny':
      return '$?';
    case 'multiVar':
      return `$?${t.name}`;
  }
}

function showPattern(p: Pattern): string {
  if (p.tmpl !== 'item') return `(${[p.tmpl, ...p.terms.map(showTerm)].join(' ')})`;
  let s = '(item';
  if (p.kind !== null) s += ` (kind ${showTerm(p.kind)})`;
  if (p.n !== null) s += ` (n ${showTerm(p.n)})`;
  if (p.tags !== null) s += ` (${['tags', ...p.tags.map(showTerm)].join(' ')})`;
  return `${s})`;
}

function showCE(c: CE): string {
  switch (c.ce) {
    case 'pat':
      return showPattern(c.p);
    case 'not':
    case 'exists':
      return `(${c.ce} ${showPattern(c.p)})`;
    case 'test':
      return `(test ${showExpr(c.e)})`;
    case 'or':
      return `(or ${showPattern(c.a)} ${showPattern(c.b)})`;
  }
}

function showRule(r: Rule): string {
  const declare = r.salience === 0 ? '' : ` (declare (salience ${r.salience}))`;
  const rhs = [`fired ${r.name}`, ...r.rhsVars.map((v) => (isMultiVar(v) ? `$?${v}` : `?${v}`))];
  return `(defrule ${r.name}${declare} ${r.ces.map(showCE).join(' ')} => (assert (${rhs.join(' ')})))`;
}

const TEMPLATES = '(deftemplate item (slot kind) (slot n) (multislot tags))';

function showProgram(rules: readonly Rule[]): string {
  return [TEMPLATES, ...rules.map(showRule)].join('\n');
}

// ---- operations ------------------------------------------------------------------------------

interface BaseFact {
  readonly tmpl: 'a' | 'b' | 'c' | 'item';
  readonly kind: string;
  readonly n: string;
  /** Ordered facts: the fields; item: the tags. */
  readonly seq: readonly string[];
}

type Slot = 'kind' | 'n' | 'tags';

type Op =
  | { readonly op: 'assert'; readonly fact: BaseFact }
  /** `pick` chooses among the live base facts (modulo their count) when the op runs. */
  /** `any`: any live fact (fired facts and (initial-fact) too), otherwise a base fact. */
  | { readonly op: 'retract'; readonly pick: number; readonly any: boolean }
  | {
      readonly op: 'modify';
      readonly pick: number;
      readonly slot: Slot;
      readonly value: readonly string[];
    }
  | { readonly op: 'run' }
  | { readonly op: 'reset' }
  /** A rule defined after facts exist: the network must prime it from working memory. */
  | { readonly op: 'define'; readonly rule: Rule };

function factText(tmpl: string, kind: string, n: string, seq: readonly string[]): string {
  if (tmpl !== 'item') return `(${[tmpl, ...seq].join(' ')})`;
  return `(item (kind ${kind}) (n ${n}) (${['tags', ...seq].join(' ')}))`;
}

function showOp(op: Op): string {
  switch (op.op) {
    case 'assert':
      return `(assert ${factText(op.fact.tmpl, op.fact.kind, op.fact.n, op.fact.seq)})`;
    case 'retract':
      return `retract ${op.any ? 'any' : 'base'} #${op.pick}`;
    case 'modify':
      return `modify #${op.pick} (${[op.slot, ...op.value].join(' ')})`;
    case 'run':
      return '(run)';
    case 'reset':
      return '(reset)';
    case 'define':
      return `(define ${op.rule.name})`;
  }
}

// ---- generation: small raw numbers interpreted so that every value is a valid rule set ----------

type Raw = readonly number[];

const raw = (len: number): fc.Arbitrary<Raw> =>
  fc.array(fc.nat(29), { minLength: len, maxLength: len });

interface RawPattern {
  readonly k: Raw;
  readonly terms: readonly Raw[];
}

interface RawCE {
  readonly k: Raw;
  readonly p: RawPattern;
  readonly q: RawPattern;
  readonly e: Raw;
}

interface RawRule {
  /** salience, chaining (flag, position, target, kind), late definition (flag, position) */
  readonly head: Raw;
  readonly ces: readonly RawCE[];
}

const rawPattern: fc.Arbitrary<RawPattern> = fc.record({
  k: raw(3),
  terms: fc.array(raw(10), { minLength: 4, maxLength: 4 }),
});

const rawRule: fc.Arbitrary<RawRule> = fc.record({
  head: raw(7),
  ces: fc.array(fc.record({ k: raw(1), p: rawPattern, q: rawPattern, e: raw(6) }), {
    minLength: 1,
    maxLength: 4,
  }),
});

// Term shapes by weight: plain variables (joins) and wildcards dominate so rules do match.
const SINGLE_KINDS = [
  ...['var', 'var', 'var', 'var', 'var', 'var', 'any', 'any', 'any', 'lit'],
  ...['notLit', 'orLit', 'notVar', 'varNotLit', 'varPred', 'varPred'],
] as const;
const SEQ_KINDS = [...SINGLE_KINDS, 'multiAny', 'multiAny', 'multiVar', 'multiVar'] as const;

/** Interprets raw numbers as CEs while tracking which variables are bound (CLIPS scoping). */
class RuleBuilder {
  private singles: string[] = [];
  private multis: string[] = [];
  readonly rhs: string[] = [];
  /** bind: new rule-wide variables; local: new not/exists variables; none: no new variables. */
  private mode: 'bind' | 'local' | 'none' = 'bind';
  private counter = 0;

  private fresh(multi: boolean): string | null {
    if (this.mode === 'none') return null;
    const prefix = this.mode === 'bind' ? (multi ? 'm' : 'v') : multi ? 'k' : 'l';
    const name = `${prefix}${this.counter++}`;
    (multi ? this.multis : this.singles).push(name);
    if (this.mode === 'bind') this.rhs.push(name);
    return name;
  }

  /** An already bound variable (a join or an intra-pattern test) or a new one. */
  private variable(ref: number, multi: boolean): string | null {
    const pool = multi ? this.multis : this.singles;
    const n = pool.length;
    // Reuse (join) about half the time: more joins make rules too selective to ever match.
    if (n > 0 && (this.mode === 'none' || ref % 2 === 0)) return pick(pool, ref >> 1);
    return this.fresh(multi);
  }

  private term(r: Raw, seq: boolean): Term {
    const [k = 0, ref = 0, l1 = 0, l2 = 0] = r;
    switch (pick(seq ? SEQ_KINDS : SINGLE_KINDS, k)) {
      case 'var': {
        const name = this.variable(ref, false);
        return name === null ? ANY : { t: 'var', name };
      }
      case 'lit':
        return { t: 'lit', v: pick(LITERALS, l1) };
      case 'any':
        return ANY;
      case 'notLit':
        return { t: 'notLit', v: pick(LITERALS, l1) };
      case 'orLit':
        return { t: 'orLit', v: pick(LITERALS, l1), w: pick(LITERALS, l2) };
      case 'notVar':
        return this.singles.length > 0
          ? { t: 'notVar', name: pick(this.singles, ref) }
          : { t: 'lit', v: pick(LITERALS, l1) };
      case 'varNotLit': {
        const name = this.variable(ref, false);
        const v = pick(LITERALS, l1);
        return name === null ? { t: 'notLit', v } : { t: 'varNotLit', name, v };
      }
      case 'varPred': {
        const name = this.variable(ref, false);
        if (name === null) return { t: 'notLit', v: pick(LITERALS, l1) };
        return { t: 'varPred', name, pred: this.expr(r.slice(4), name) };
      }
      case 'multiAny':
        return { t: 'multiAny' };
      case 'multiVar': {
        const name = this.variable(ref, true);
        return name === null ? { t: 'multiAny' } : { t: 'multiVar', name };
      }
    }
  }

  private terms(rs: readonly Raw[], count: number): Term[] {
    const out: Term[] = [];
    for (let i = 0; i < count; i++) out.push(this.term(rs[i] ?? [2], true));
    return out;
  }

  /** An expression over bound variables; `must` (a predicate's own variable) comes first. */
  expr(r: Raw, must: string | null): Expr {
    const [k = 0, a = 0, b = 0, c = 0, d = 0, e = 0] = r;
    const simple = (x: number, y: number, z: number): Expr => {
      const arg = (n: number, first: boolean): Arg => {
        if (first && must !== null) return { var: must };
        if (n % 3 !== 2 && this.singles.length > 0) return { var: pick(this.singles, n) };
        return { lit: pick(DOMAIN, n) };
      };
      switch (x % 5) {
        case 0:
          return { op: 'eq', a: arg(y, true), b: arg(z, false) };
        case 1:
          return { op: 'neq', a: arg(y, true), b: arg(z, false) };
        case 2: {
          // CLIPS type-checks constant arguments when the rule is defined: (> y 1) is an error.
          const a = arg(y, true);
          return { op: 'gt', a: 'var' in a ? a : { lit: pick(INTS, y) }, k: 1 + (z % 2) };
        }
        case 3:
          return this.multis.length > 0
            ? { op: 'len', m: pick(this.multis, y), k: z % 2 }
            : { op: 'eq', a: arg(y, true), b: arg(z, false) };
        default:
          return this.multis.length > 0
            ? { op: 'member', lit: pick(DOMAIN, z), m: pick(this.multis, y) }
            : { op: 'neq', a: arg(y, true), b: arg(z, false) };
      }
    };
    switch (k % 4) {
      case 2:
        return { op: 'not', e: simple(a, b, c) };
      case 3:
        return { op: 'or', a: simple(a, b, c), b: simple(d, e, a) };
      default:
        return simple(a, b, c);
    }
  }

  pattern(rp: RawPattern): Pattern {
    const [t = 0, shape = 0, tags = 0] = rp.k;
    const ts = rp.terms;
    switch (t % 4) {
      case 0:
        return { tmpl: 'a', terms: this.terms(ts, 2) };
      case 1:
        return { tmpl: 'b', terms: this.terms(ts, 2) };
      case 2:
        return { tmpl: 'c', terms: this.terms(ts, 1 + (shape % 3)) };
      default: {
        // Slots in template order, so binding order equals printing order.
        const kind = shape & 1 ? this.term(ts[0] ?? [2], false) : null;
        const n = shape & 2 ? this.term(ts[1] ?? [2], false) : null;
        const tagTerms = shape & 4 ? this.terms(ts.slice(2), tags % 3) : null;
        return { tmpl: 'item', kind, n, tags: tagTerms };
      }
    }
  }

  /** `(fired rN ...)` of an earlier rule that does not itself match fired facts. */
  firedPattern(target: string, rp: RawPattern): Pattern {
    const [, count = 0, tail = 0] = rp.k;
    const terms: Term[] = [{ t: 'lit', v: target }, ...this.terms(rp.terms, count % 3)];
    if (tail % 3 !== 0) terms.push({ t: 'multiAny' });
    return { tmpl: 'fired', terms };
  }

  /** Runs `f` with variables first bound inside it kept local (not/exists) or forbidden (or). */
  scoped<T>(mode: 'local' | 'none', f: () => T): T {
    const singles = this.singles.slice();
    const multis = this.multis.slice();
    this.mode = mode;
    try {
      return f();
    } finally {
      this.mode = 'bind';
      this.singles = singles;
      this.multis = multis;
    }
  }

  ce(rc: RawCE): CE {
    switch ((rc.k[0] ?? 0) % 10) {
      case 5:
        return { ce: 'not', p: this.scoped('local', () => this.pattern(rc.p)) };
      case 6:
        return { ce: 'exists', p: this.scoped('local', () => this.pattern(rc.p)) };
      case 7:
        return { ce: 'test', e: this.expr(rc.e, null) };
      case 8:
        return {
          ce: 'or',
          ...this.scoped('none', () => ({ a: this.pattern(rc.p), b: this.pattern(rc.q) })),
        };
      default:
        return { ce: 'pat', p: this.pattern(rc.p) };
    }
  }
}

function interpretRules(raws: readonly RawRule[]): Rule[] {
  const rules: Rule[] = [];
  const unchained: string[] = [];
  raws.forEach((rr, i) => {
    const [sal = 0, chain = 0, pos = 0, target = 0, how = 0] = rr.head;
    const name = `r${i}`;
    const b = new RuleBuilder();
    const chained = chain % 3 === 0 && unchained.length > 0;
    const at = pos % (rr.ces.length + 1);
    const ces: CE[] = [];
    rr.ces.forEach((rc, n) => {
      if (chained && n === at) ces.push(chainCE(b, pick(unchained, target), how, rc.q));
      ces.push(b.ce(rc));
    });
    if (chained && at === rr.ces.length)
      ces.push(chainCE(b, pick(unchained, target), how, rr.ces[0]?.q as RawPattern));
    if (!chained) unchained.push(name);
    rules.push({ name, salience: (sal % 3) - 1, ces, rhsVars: b.rhs });
  });
  return rules;
}

/** One level of chaining: a positive or exists pattern over another rule's `fired` facts. */
function chainCE(b: RuleBuilder, target: string, how: number, rp: RawPattern): CE {
  return how % 3 === 0
    ? { ce: 'exists', p: b.scoped('local', () => b.firedPattern(target, rp)) }
    : { ce: 'pat', p: b.firedPattern(target, rp) };
}

/** Base templates the rules mention: asserting facts no rule looks at would test little. */
function usedTemplates(rules: readonly Rule[]): Array<BaseFact['tmpl']> {
  const used = new Set<BaseFact['tmpl']>();
  const add = (p: Pattern): void => {
    if (p.tmpl !== 'fired') used.add(p.tmpl);
  };
  for (const r of rules) {
    for (const c of r.ces) {
      if (c.ce === 'or') {
        add(c.a);
        add(c.b);
      } else if (c.ce !== 'test') add(c.p);
    }
  }
  return used.size === 0 ? ['a', 'b', 'c', 'item'] : [...used].sort();
}

function interpretOp(r: Raw, templates: ReadonlyArray<BaseFact['tmpl']>): Op {
  const [k = 0, t = 0, p = 0, q = 0, s = 0, u = 0, w = 0] = r;
  switch (k % 20) {
    case 12:
    case 13:
      return { op: 'retract', pick: p, any: false };
    case 14:
      return { op: 'retract', pick: p, any: true };
    case 15:
    case 16: {
      const slot = pick<Slot>(['kind', 'n', 'tags'], t);
      const value =
        slot === 'kind'
          ? [pick(SYMS, p)]
          : slot === 'n'
            ? [pick(INTS, p)]
            : [pick(DOMAIN, s), pick(DOMAIN, u)].slice(0, q % 3);
      return { op: 'modify', pick: w, slot, value };
    }
    case 17:
    case 18:
      return { op: 'run' };
    case 19:
      return q % 3 === 0 ? { op: 'reset' } : { op: 'run' };
    default: {
      const tmpl = pick(templates, t);
      const fields = [pick(DOMAIN, p), pick(DOMAIN, q), pick(DOMAIN, s)];
      if (tmpl === 'item') {
        return {
          op: 'assert',
          fact: { tmpl, kind: pick(SYMS, p), n: pick(INTS, q), seq: fields.slice(1, 1 + (u % 3)) },
        };
      }
      return {
        op: 'assert',
        fact: { tmpl, kind: '', n: '', seq: fields.slice(0, tmpl === 'c' ? 1 + (u % 3) : 2) },
      };
    }
  }
}

interface Scenario {
  /** Rules defined before the first operation (the others come with `define` ops). */
  readonly rules: readonly Rule[];
  readonly ops: readonly Op[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    rules: fc.array(rawRule, { minLength: 1, maxLength: 6 }),
    ops: fc.array(raw(7), { minLength: 5, maxLength: 25, size: 'max' }),
  })
  .map(({ rules, ops }) => {
    // Always end with a run so every case checks a fixpoint.
    const rs = interpretRules(rules);
    const templates = usedTemplates(rs);
    const opList: Op[] = ops.map((o) => interpretOp(o, templates));
    // Some rules are defined part-way through (from the last so positions stay valid).
    const late = rs.filter((_, i) => (rules[i]?.head[5] ?? 1) % 4 === 0);
    for (const rule of [...late].reverse()) {
      const at = (rules[Number(rule.name.slice(1))]?.head[6] ?? 0) % (opList.length + 1);
      opList.splice(at, 0, { op: 'define', rule });
    }
    const scenario: Scenario = {
      rules: rs.filter((r) => !late.includes(r)),
      ops: [...opList, { op: 'run' }],
    };
    // fast-check prints counterexamples with this method: show CLIPS, not raw numbers.
    return Object.assign(scenario, {
      [fc.toStringMethod]: () =>
        `\n${showProgram(scenario.rules)}\n; ops: ${scenario.ops.map(showOp).join(' ')}`,
    });
  });

// ---- the reference matcher -----------------------------------------------------------------------

interface RFact {
  /** Never reused: refraction keys use it, so relabelling `id` after a run is safe. */
  readonly uid: number;
  id: number;
  readonly tmpl: string;
  readonly kind: string;
  readonly n: string;
  readonly seq: readonly string[];
  readonly text: string;
}

type Env = ReadonlyMap<string, string | readonly string[]>;

interface Bound {
  readonly env: Env;
  /** Multifield segment lengths: CLIPS makes one partial match per way a fact matches. */
  readonly way: string;
}

interface Match {
  readonly rule: Rule;
  readonly key: string;
  readonly basis: ReadonlyArray<RFact | '*'>;
  readonly env: Env;
}

const isInt = (v: string): boolean => /^-?\d+$/.test(v);

function argValue(a: Arg, env: Env): string {
  return 'var' in a ? (env.get(a.var) as string) : a.lit;
}

function evalExpr(e: Expr, env: Env): boolean {
  switch (e.op) {
    case 'eq':
      return argValue(e.a, env) === argValue(e.b, env);
    case 'neq':
      return argValue(e.a, env) !== argValue(e.b, env);
    case 'gt': {
      const v = argValue(e.a, env);
      return isInt(v) && Number(v) > e.k;
    }
    case 'len':
      return (env.get(e.m) as readonly string[]).length > e.k;
    case 'member':
      return (env.get(e.m) as readonly string[]).includes(e.lit);
    case 'not':
      return !evalExpr(e.e, env);
    case 'or':
      return evalExpr(e.a, env) || evalExpr(e.b, env);
  }
}

/** Binds or tests a variable: the extended environment, or null on a clash. */
function unify(env: Env, name: string, v: string): Env | null {
  const old = env.get(name);
  if (old === undefined) return new Map(env).set(name, v);
  return old === v ? env : null;
}

function matchSingle(t: Term, v: string, env: Env): Env | null {
  switch (t.t) {
    case 'any':
      return env;
    case 'lit':
      return v === t.v ? env : null;
    case 'notLit':
      return v !== t.v ? env : null;
    case 'orLit':
      return v === t.v || v === t.w ? env : null;
    case 'var':
      return unify(env, t.name, v);
    case 'notVar':
      return v !== env.get(t.name) ? env : null;
    case 'varNotLit':
      return v === t.v ? null : unify(env, t.name, v);
    case 'varPred': {
      const e = unify(env, t.name, v);
      return e !== null && evalExpr(t.pred, e) ? e : null;
    }
    default:
      throw new Error(`multifield term ${t.t} in a single-field slot`);
  }
}

/** Every way `terms` matches `vals` (brute-force segmentation, left to right). */
function matchSeq(
  terms: readonly Term[],
  vals: readonly string[],
  env: Env,
  way: string,
  out: Bound[],
): void {
  const [t, ...rest] = terms;
  if (t === undefined) {
    if (vals.length === 0) out.push({ env, way });
    return;
  }
  if (t.t === 'multiAny' || t.t === 'multiVar') {
    for (let len = 0; len <= vals.length; len++) {
      const seg = vals.slice(0, len);
      let e: Env = env;
      if (t.t === 'multiVar') {
        const old = env.get(t.name);
        if (old === undefined) e = new Map(env).set(t.name, seg);
        else if ((old as readonly string[]).join(' ') !== seg.join(' ')) continue;
      }
      matchSeq(rest, vals.slice(len), e, `${way}${len},`, out);
    }
    return;
  }
  const v = vals[0];
  if (v === undefined) return;
  const e = matchSingle(t, v, env);
  if (e !== null) matchSeq(rest, vals.slice(1), e, way, out);
}

function matchPattern(p: Pattern, f: RFact, env: Env): Bound[] {
  const out: Bound[] = [];
  if (p.tmpl !== f.tmpl) return out;
  if (p.tmpl !== 'item') {
    matchSeq(p.terms, f.seq, env, '', out);
    return out;
  }
  let e: Env | null = env;
  if (p.kind !== null) e = matchSingle(p.kind, f.kind, e);
  if (e !== null && p.n !== null) e = matchSingle(p.n, f.n, e);
  if (e === null) return out;
  if (p.tags === null) out.push({ env: e, way: '' });
  else matchSeq(p.tags, f.seq, e, '', out);
  return out;
}

/** Expands `or` CEs into the rule's disjuncts, as CLIPS does. */
function disjuncts(ces: readonly CE[]): FlatCE[][] {
  let acc: FlatCE[][] = [[]];
  for (const c of ces) {
    const options: FlatCE[] =
      c.ce === 'or'
        ? [
            { ce: 'pat', p: c.a },
            { ce: 'pat', p: c.b },
          ]
        : [c];
    acc = acc.flatMap((prefix) => options.map((o) => [...prefix, o]));
  }
  return acc;
}

class Reference {
  /** Live facts by uid, in assertion order. */
  readonly wm = new Map<number, RFact>();
  private readonly byText = new Map<string, RFact>();
  nextId = 0;
  private uid = 0;
  /** Keys of matches that fired and have existed continuously since (refraction). */
  private fired = new Set<string>();
  private readonly flat: Array<{
    readonly rule: Rule;
    readonly d: number;
    readonly ces: FlatCE[];
  }> = [];

  constructor(rules: readonly Rule[]) {
    for (const r of rules) this.addRule(r);
    this.assert('initial-fact', '', '', []);
  }

  addRule(rule: Rule): void {
    this.flat.push(...disjuncts(rule.ces).map((ces, d) => ({ rule, d, ces })));
  }

  /** (reset): every fact goes, ids restart at 0 with (initial-fact), every match is new. */
  reset(): void {
    this.wm.clear();
    this.byText.clear();
    this.fired.clear();
    this.nextId = 0;
    this.assert('initial-fact', '', '', []);
  }

  /** Asserts unless an identical fact exists (no id is consumed then); returns the new fact. */
  assert(tmpl: string, kind: string, n: string, seq: readonly string[]): RFact | null {
    const text = factText(tmpl, kind, n, seq);
    if (this.byText.has(text)) return null;
    const f: RFact = { uid: this.uid++, id: this.nextId++, tmpl, kind, n, seq, text };
    this.wm.set(f.uid, f);
    this.byText.set(text, f);
    return f;
  }

  retract(f: RFact): void {
    this.wm.delete(f.uid);
    this.byText.delete(f.text);
  }

  /** modify = retract + assert; refraction is settled in between, as the network sees both. */
  modify(f: RFact, slot: Slot, value: readonly string[]): void {
    this.retract(f);
    this.settle();
    const v = value[0] ?? '';
    this.assert(
      f.tmpl,
      slot === 'kind' ? v : f.kind,
      slot === 'n' ? v : f.n,
      slot === 'tags' ? value : f.seq,
    );
  }

  baseFacts(): RFact[] {
    return [...this.wm.values()].filter((f) => f.tmpl !== 'fired' && f.tmpl !== 'initial-fact');
  }

  /** Every complete match of every rule, recomputed from scratch over the whole memory. */
  matches(): Match[] {
    const out: Match[] = [];
    const facts = [...this.wm.values()];
    for (const { rule, d, ces } of this.flat) {
      const walk = (i: number, env: Env, basis: Array<RFact | '*'>, key: string): void => {
        const c = ces[i];
        if (c === undefined) {
          out.push({ rule, key: `${rule.name}#${d}${key}`, basis, env });
          return;
        }
        switch (c.ce) {
          case 'test':
            if (evalExpr(c.e, env)) walk(i + 1, env, basis, key);
            return;
          case 'not':
          case 'exists': {
            // Variables first bound inside are local: the outer env continues unchanged.
            const found = facts.some((f) => matchPattern(c.p, f, env).length > 0);
            if (found === (c.ce === 'exists')) walk(i + 1, env, [...basis, '*'], `${key}|*`);
            return;
          }
          case 'pat':
            for (const f of facts) {
              for (const m of matchPattern(c.p, f, env))
                walk(i + 1, m.env, [...basis, f], `${key}|${f.uid}:${m.way}`);
            }
        }
      };
      walk(0, new Map(), [], '');
    }
    return out;
  }

  /** Forgets refraction for vanished matches; returns the activations (unfired matches). */
  settle(): Match[] {
    const all = this.matches();
    const live = new Set(all.map((m) => m.key));
    this.fired = new Set([...this.fired].filter((k) => live.has(k)));
    return all.filter((m) => !this.fired.has(m.key));
  }

  /** Fires every activation until none is left; matches only grow, so batches are safe. */
  run(): number {
    let count = 0;
    for (let agenda = this.settle(); agenda.length > 0; agenda = this.settle()) {
      for (const m of agenda) {
        this.fired.add(m.key);
        count++;
        const vals = m.rule.rhsVars.flatMap((v) => m.env.get(v) as string | readonly string[]);
        this.assert('fired', '', '', [m.rule.name, ...vals]);
      }
    }
    return count;
  }
}

// ---- comparison ------------------------------------------------------------------------------------

function basisText(rule: string, basis: ReadonlyArray<{ id: number } | '*'>): string {
  return `${rule}: ${basis.map((b) => (b === '*' ? '*' : `f-${b.id}`)).join(',')}`;
}

function refAgenda(ref: Reference): string[] {
  return ref
    .settle()
    .map((m) => basisText(m.rule.name, m.basis))
    .sort();
}

function engineAgenda(e: Engine): string[] {
  return e
    .agenda()
    .map((a) => basisText(a.rule.name, a.token.basis()))
    .sort();
}

function refFacts(ref: Reference): string[] {
  return [...ref.wm.values()].sort((x, y) => x.id - y.id).map((f) => `f-${f.id} ${f.text}`);
}

function engineFacts(e: Engine): string[] {
  return e.facts().map((f: Fact) => `f-${f.id} ${f.toString()}`);
}

/** Multiset difference as readable lines, or null when equal. */
function diff(expected: readonly string[], actual: readonly string[]): string | null {
  const count = new Map<string, number>();
  for (const x of expected) count.set(x, (count.get(x) ?? 0) + 1);
  for (const x of actual) count.set(x, (count.get(x) ?? 0) - 1);
  const lines: string[] = [];
  for (const [k, n] of count) {
    for (let i = 0; i < n; i++) lines.push(`  missing in engine: ${k}`);
    for (let i = 0; i < -n; i++) lines.push(`  extra in engine:   ${k}`);
  }
  return lines.length === 0 ? null : lines.join('\n');
}

function toAtom(v: string): JsAtom {
  return isInt(v) ? Number(v) : Sym.of(v);
}

/** Applies the scenario to the engine and the reference, comparing after every operation. */
function check(sc: Scenario): void {
  const program = showProgram(sc.rules);
  const script: string[] = [];
  const failure = (step: string, detail: string): Error =>
    new Error(
      `engine and reference disagree ${step}\n${detail}\n` +
        `--- reproduce with: nautilus clips -f repro.clp\n${program}\n${script.join('\n')}\n(agenda)\n(facts)\n(exit)`,
    );
  const engine = new Engine();
  const ref = new Reference(sc.rules);
  const compare = (step: string): void => {
    const a = diff(refAgenda(ref), engineAgenda(engine));
    if (a !== null) throw failure(step, `agenda:\n${a}`);
    const f = diff(refFacts(ref), engineFacts(engine));
    if (f !== null) throw failure(step, `facts:\n${f}`);
  };
  try {
    engine.build(program);
    compare('after defining the rules');
    for (const op of sc.ops) {
      switch (op.op) {
        case 'assert': {
          const { tmpl, kind, n, seq } = op.fact;
          const text = factText(tmpl, kind, n, seq);
          script.push(`(assert ${text})`);
          engine.assertString(text);
          ref.assert(tmpl, kind, n, seq);
          break;
        }
        case 'retract': {
          const base = op.any ? [...ref.wm.values()] : ref.baseFacts();
          if (base.length === 0) continue;
          const f = pick(base, op.pick);
          script.push(`(retract ${f.id})`);
          engine.retract(f.id);
          ref.retract(f);
          break;
        }
        case 'modify': {
          const items = ref.baseFacts().filter((f) => f.tmpl === 'item');
          if (items.length === 0) continue;
          const f = pick(items, op.pick);
          script.push(`(modify ${f.id} (${[op.slot, ...op.value].join(' ')}))`);
          const value = op.slot === 'tags' ? op.value.map(toAtom) : toAtom(op.value[0] ?? '');
          engine.modify(f.id, { [op.slot]: value });
          ref.modify(f, op.slot, op.value);
          break;
        }
        case 'reset':
          script.push('(reset)');
          engine.reset();
          ref.reset();
          break;
        case 'define': {
          const text = showRule(op.rule);
          script.push(text);
          engine.build(text);
          ref.addRule(op.rule);
          break;
        }
        case 'run': {
          script.push('(run)');
          const before = ref.nextId;
          const fired = engine.run().fired.length;
          const expected = ref.run();
          if (fired !== expected)
            throw failure('at (run)', `engine fired ${fired} rules, reference ${expected}`);
          relabel(ref, engine, before, () =>
            failure('at (run)', 'the facts asserted by the run differ'),
          );
          break;
        }
      }
      compare(`after ${script.at(-1) ?? ''}`);
    }
  } catch (x) {
    if (x instanceof Error && x.message.startsWith('engine and reference disagree')) throw x;
    throw failure('(the engine threw)', String(x instanceof Error ? (x.stack ?? x.message) : x));
  }
}

/** A run asserts the same facts in an order the reference does not model: adopt the engine's ids
 *  for them once they are known to be a permutation of the ids the reference handed out. */
function relabel(ref: Reference, engine: Engine, from: number, fail: () => Error): void {
  const mine = [...ref.wm.values()].filter((f) => f.id >= from);
  const theirs = new Map(
    engine
      .facts()
      .filter((f) => f.id >= from)
      .map((f) => [f.toString(), f.id]),
  );
  if (theirs.size !== mine.length) throw fail();
  for (const f of mine) {
    const id = theirs.get(f.text);
    if (id === undefined || id >= ref.nextId) throw fail();
    f.id = id;
  }
}

// ---- tests ---------------------------------------------------------------------------------------

const v = (name: string): Term => ({ t: 'var', name });
const lit = (value: string): Term => ({ t: 'lit', v: value });
const ordered = (tmpl: 'a' | 'b' | 'c' | 'fired', ...terms: Term[]): Pattern => ({ tmpl, terms });
const rule = (name: string, rhsVars: string[], ...ces: CE[]): Rule => ({
  name,
  salience: 0,
  ces,
  rhsVars,
});

describe('reference matcher', () => {
  it('makes one match per multifield segmentation, as CLIPS does', () => {
    // CLIPS 6.30 lists r1 twice and r4 three times for (c 1 1).
    const ref = new Reference([
      rule('r1', [], {
        ce: 'pat',
        p: ordered('c', { t: 'multiAny' }, lit('1'), { t: 'multiAny' }),
      }),
      rule('r4', ['m0', 'm1'], {
        ce: 'pat',
        p: ordered('c', { t: 'multiVar', name: 'm0' }, { t: 'multiVar', name: 'm1' }),
      }),
    ]);
    ref.assert('c', '', '', ['1', '1']);
    assert.deepEqual(refAgenda(ref), ['r1: f-1', 'r1: f-1', 'r4: f-1', 'r4: f-1', 'r4: f-1']);
  });

  it('joins on shared variables and keeps not-variables local', () => {
    const ref = new Reference([
      rule(
        'r0',
        ['v0', 'v1'],
        { ce: 'pat', p: ordered('a', v('v0'), v('v1')) },
        { ce: 'not', p: ordered('b', v('v1'), v('l2')) },
      ),
    ]);
    ref.assert('a', '', '', ['x', '1']);
    ref.assert('a', '', '', ['y', '2']);
    ref.assert('b', '', '', ['1', 'z']);
    assert.deepEqual(refAgenda(ref), ['r0: f-2,*']);
    assert.equal(ref.assert('a', '', '', ['y', '2']), null, 'duplicates are not asserted');
    assert.equal(ref.nextId, 4, 'a duplicate consumes no id');
  });

  it('refracts fired matches until they vanish (modify re-activates exists)', () => {
    const ref = new Reference([
      rule('r0', [], { ce: 'exists', p: { tmpl: 'item', kind: lit('x'), n: null, tags: null } }),
    ]);
    ref.assert('item', 'x', '1', []);
    assert.deepEqual(refAgenda(ref), ['r0: *']);
    assert.equal(ref.run(), 1);
    assert.deepEqual(refAgenda(ref), []);
    const item = ref.baseFacts()[0] as RFact;
    ref.modify(item, 'n', ['2']);
    assert.deepEqual(
      refAgenda(ref),
      ['r0: *'],
      'CLIPS 6.30 re-activates r0 after (modify 1 (n 2))',
    );
    assert.deepEqual(refFacts(ref), [
      'f-0 (initial-fact)',
      'f-2 (fired r0)',
      'f-3 (item (kind x) (n 2) (tags))',
    ]);
  });

  it('runs chained rules to the fixpoint', () => {
    const ref = new Reference([
      rule('r0', ['v0', 'v1'], { ce: 'pat', p: ordered('a', v('v0'), v('v1')) }),
      rule(
        'r1',
        ['v0'],
        { ce: 'pat', p: ordered('fired', lit('r0'), v('v0'), { t: 'multiAny' }) },
        { ce: 'test', e: { op: 'gt', a: { var: 'v0' }, k: 1 } },
      ),
    ]);
    ref.assert('a', '', '', ['1', 'x']);
    ref.assert('a', '', '', ['2', 'y']);
    ref.assert('a', '', '', ['2', 'z']);
    assert.equal(ref.run(), 5, 'r0 three times, r1 once per (fired r0 2 ...)');
    assert.deepEqual(
      [...ref.wm.values()]
        .map((f) => f.text)
        .filter((t) => t.startsWith('(fired'))
        .sort(),
      ['(fired r0 1 x)', '(fired r0 2 y)', '(fired r0 2 z)', '(fired r1 2)'],
    );
  });
});

describe('RETE engine vs naive reference', () => {
  it('agrees on agenda and working memory for random rules and operations', () => {
    fc.assert(fc.property(scenarioArb, check), {
      numRuns: Number(process.env.NAUTILUS_PROPERTY_RUNS ?? 2000),
      includeErrorInReport: true,
    });
  });
});
