// One YAML rule to one defrule. Fixes over the Fathom compiler (docs/rules.md, "Fixed quirks"):
// - each pattern's slot variables are its own (`?<alias>-<slot>`), never a rule-wide `?s_<slot>`
//   that silently joined unrelated patterns;
// - all constraints on one slot share one variable and one slot term, so `bind` + `expression`
//   works (`(amount ?amt&:(> ?amt 100))`) and two conditions on one slot are legal CLIPS;
// - `$alias.slot` always reads that slot: the referenced pattern binds it even when nothing else
//   does, and a reference to a later pattern becomes a test CE instead of a free variable;
// - variables are checked: an unbound one is an error at its YAML line, not a CLIPS error.
import type { NautilusError } from '../errors.ts';
import { quoteString, scanVariables } from './clips-text.ts';
import {
  type Classification,
  type ConditionHost,
  type Constraint,
  compileCondition,
  type Operand,
} from './compile-conditions.ts';
import { type At, compileThen, type RhsScope } from './compile-then.ts';
import { type CompiledUnit, UnitWriter } from './compile-unit.ts';
import { type RulesErrorCode, rulesError } from './diagnostics.ts';
import { type Arg, parseExpression } from './expression.ts';
import type { ConditionDef, Loc, PatternDef, RuleDef, SlotDef, TemplateDef } from './model.ts';
import { didYouMean } from './suggest.ts';

export interface RuleEnv {
  readonly templates: ReadonlyMap<string, TemplateDef>;
  readonly errors: NautilusError[];
  /** Resolves the hierarchy of a classification operator (reporting through `report`). */
  classification(
    hierarchy: string | undefined,
    op: string,
    report: (reason: string) => void,
  ): Classification | undefined;
}

interface SlotInfo {
  readonly def: SlotDef;
  /** Position in the pattern's slot terms (first mention order). */
  readonly order: number;
  bindVar?: string;
  needsVar: boolean;
  readonly constraints: Constraint[];
}

interface PatternInfo {
  readonly def: PatternDef;
  readonly index: number;
  readonly positive: boolean;
  readonly template?: TemplateDef;
  label: string;
  readonly slots: Map<string, SlotInfo>;
  factVar?: string;
  /** Variables first bound inside this not/exists pattern. */
  readonly locals: Map<string, SlotInfo>;
}

interface Site {
  readonly pattern: PatternInfo;
  readonly slot: SlotInfo;
}

export function compileRule(rule: RuleDef, module: string, env: RuleEnv): CompiledUnit | undefined {
  return new RuleCompiler(rule, module, env).compile();
}

class RuleCompiler implements RhsScope {
  private readonly patterns: PatternInfo[] = [];
  private readonly aliases = new Map<string, PatternInfo>();
  /** First binding site of each user variable in a positive pattern. */
  private readonly binds = new Map<string, Site>();
  /** Test CEs, each emitted right after the pattern that binds the last variable it reads. */
  private readonly tests: Array<{ render: () => string; loc: Loc; after: number }> = [];
  private readonly badConditions = new Set<ConditionDef>();
  private failed = false;
  readonly errors: NautilusError[];
  readonly templates: ReadonlyMap<string, TemplateDef>;
  readonly rule: string;

  constructor(
    private readonly def: RuleDef,
    readonly module: string,
    private readonly env: RuleEnv,
  ) {
    this.errors = env.errors;
    this.templates = env.templates;
    this.rule = def.name;
  }

  private report(code: RulesErrorCode, reason: string, at: At): undefined {
    this.failed = true;
    this.errors.push(
      rulesError(code, reason, { location: at.loc, construct: `rule ${this.rule}`, path: at.path }),
    );
    return undefined;
  }

  compile(): CompiledUnit | undefined {
    const start = this.errors.length;
    this.resolvePatterns();
    this.collectSlots();
    this.assignLabels();
    for (const p of this.patterns) this.compileConditions(p);
    const rhs = compileThen(this.def.then, this);
    return this.failed || this.errors.length > start ? undefined : this.emit(rhs);
  }

  // ---- analysis -----------------------------------------------------------------------------

  private resolvePatterns(): void {
    this.def.when.forEach((def, index) => {
      const template = this.templates.get(def.template.text);
      if (template === undefined)
        this.report(
          'NAU_RULES_UNKNOWN_REFERENCE',
          `unknown template ${def.template.text}${didYouMean(def.template.text, this.templates.keys())}`,
          def.template,
        );
      const p: PatternInfo = {
        def,
        index,
        positive: def.kind === 'pattern',
        label: '',
        slots: new Map(),
        locals: new Map(),
        ...(template === undefined ? {} : { template }),
      };
      if (def.alias !== undefined) {
        if (this.aliases.has(def.alias.text))
          this.report(
            'NAU_RULES_DUPLICATE',
            `alias $${def.alias.text} is used by two patterns`,
            def.alias,
          );
        else this.aliases.set(def.alias.text, p);
      }
      this.patterns.push(p);
    });
  }

  /** Creates slot infos in condition order and records where each user variable is bound. */
  private collectSlots(): void {
    for (const p of this.patterns) {
      for (const c of p.def.conditions) {
        if (c.slot === undefined || p.template === undefined) continue;
        const slot = this.slotOf(p, c.slot.text, c.slot);
        if (slot === undefined) {
          this.badConditions.add(c);
          continue;
        }
        if (c.bind === undefined) continue;
        const v = c.bind.text;
        if (slot.bindVar !== undefined && slot.bindVar !== v) {
          this.report(
            'NAU_RULES_INVALID',
            `slot ${slot.def.name} is already bound to ${slot.bindVar}`,
            c.bind,
          );
          continue;
        }
        slot.bindVar = v;
        const earlier = this.binds.get(v);
        if (earlier !== undefined && earlier.slot.def.multislot !== slot.def.multislot) {
          this.report(
            'NAU_RULES_TYPE',
            `${v} is bound to a ${kindText(earlier.slot.def)} and a ${kindText(slot.def)}`,
            c.bind,
          );
          continue;
        }
        if (p.positive) {
          if (earlier === undefined) this.binds.set(v, { pattern: p, slot });
        } else if (earlier === undefined && !p.locals.has(v)) {
          p.locals.set(v, slot);
        }
      }
    }
    // A variable first seen inside not/exists is local to it; binding it again later is a trap.
    for (const p of this.patterns) {
      for (const v of p.locals.keys()) {
        const site = this.binds.get(v);
        if (site !== undefined && site.pattern.index > p.index)
          this.report(
            'NAU_RULES_INVALID',
            `${v} is used in this ${p.def.kind} pattern before the pattern that binds it; bind it earlier`,
            { loc: p.def.loc, path: p.def.path },
          );
      }
    }
  }

  private slotOf(p: PatternInfo, name: string, at: At): SlotInfo | undefined {
    const existing = p.slots.get(name);
    if (existing !== undefined) return existing;
    const def = p.template?.slots.find((s) => s.name === name);
    if (def === undefined) {
      if (p.template !== undefined)
        this.report(
          'NAU_RULES_UNKNOWN_REFERENCE',
          `template ${p.template.name} has no slot ${name}${didYouMean(
            name,
            p.template.slots.map((s) => s.name),
          )}`,
          at,
        );
      return undefined;
    }
    const info: SlotInfo = { def, order: p.slots.size, needsVar: false, constraints: [] };
    p.slots.set(name, info);
    return info;
  }

  /** Pattern labels name generated variables: the alias, or a unique name from the template. */
  private assignLabels(): void {
    const userVars = new Set<string>();
    for (const p of this.patterns)
      for (const s of p.slots.values()) if (s.bindVar) userVars.add(s.bindVar);
    const used = new Set(this.aliases.keys());
    for (const p of this.patterns) {
      const slotNames = p.template?.slots.map((s) => s.name) ?? [];
      if (p.def.alias !== undefined) {
        p.label = p.def.alias.text;
        if (userVars.has(`?${p.label}`))
          this.report(
            'NAU_RULES_INVALID',
            `variable ?${p.label} clashes with the fact of alias $${p.label}`,
            p.def.alias,
          );
        for (const name of slotNames) {
          const v = `?${p.label}-${name}`;
          if (userVars.has(v) && p.slots.get(name)?.bindVar !== v)
            this.report(
              'NAU_RULES_INVALID',
              `variable ${v} clashes with the variable of $${p.label}.${name}`,
              p.def.alias,
            );
        }
        continue;
      }
      const base = p.def.template.text;
      const shared = this.patterns.some(
        (q) => q !== p && q.def.alias === undefined && q.def.template.text === base,
      );
      let label = shared || used.has(base) ? `${base}-${p.index + 1}` : base;
      while (used.has(label) || slotNames.some((n) => userVars.has(`?${label}-${n}`))) label += '_';
      used.add(label);
      p.label = label;
    }
  }

  private compileConditions(p: PatternInfo): void {
    for (const c of p.def.conditions) {
      if (this.badConditions.has(c)) continue;
      if (c.test !== undefined && !p.positive) {
        this.report(
          'NAU_RULES_INVALID',
          `a test cannot sit inside ${p.def.kind === 'not' ? 'a not' : 'an exists'} pattern; use an expression on a slot`,
          c.test,
        );
      } else if (c.test !== undefined) {
        const text = c.test.text;
        const vars = this.readRaw(text, c.test);
        this.addTest(() => `(test ${text})`, c.test.loc, vars, p);
      }
      if (c.expression === undefined || c.slot === undefined || p.template === undefined) continue;
      const slot = p.slots.get(c.slot.text);
      if (slot === undefined) continue;
      this.compileExpression(p, slot, c.expression);
    }
  }

  private compileExpression(p: PatternInfo, slot: SlotInfo, expr: { text: string } & At): void {
    const parsed = parseExpression(expr.text);
    if ('error' in parsed) {
      this.report('NAU_RULES_EXPRESSION', parsed.error, expr);
      return;
    }
    const host: ConditionHost = {
      error: (code, reason) => this.report(code, reason, expr),
      variable: (arg) => this.operand(arg, p, expr),
      rawVariables: (text) => this.readRaw(text, expr),
      classification: (h, op) =>
        this.env.classification(h, op, (reason) =>
          this.report('NAU_RULES_UNKNOWN_REFERENCE', reason, expr),
        ),
      template: (name) => this.templates.get(name),
    };
    const before = this.errors.length;
    const c = compileCondition(parsed.op, parsed.args, slot.def, host);
    if (c === undefined || this.errors.length > before) return;
    if (c.slotFree) {
      this.addTest(() => `(test ${c.test('')})`, expr.loc, c.deps, p);
      return;
    }
    if (c.deps.every((d) => this.availableAt(d, p, slot))) {
      slot.constraints.push(c);
      return;
    }
    if (!p.positive) {
      this.report(
        'NAU_RULES_UNBOUND_VARIABLE',
        `in ${p.def.kind === 'not' ? 'a not' : 'an exists'} pattern, ${c.deps.filter((d) => !this.availableAt(d, p, slot)).join(', ')} must be bound by an earlier pattern`,
        expr,
      );
      return;
    }
    // Reads a variable bound later: test it once the whole LHS is matched.
    slot.needsVar = true;
    this.addTest(() => `(test ${c.test(this.slotVar(p, slot))})`, expr.loc, c.deps, p);
  }

  private addTest(render: () => string, loc: Loc, vars: readonly string[], p: PatternInfo): void {
    let after = p.index;
    for (const v of vars) {
      const at = this.siteOf(v)?.pattern.index ?? this.aliases.get(v.slice(1))?.index ?? p.index;
      after = Math.max(after, at);
    }
    this.tests.push({ render, loc, after });
  }

  /** True when `v` is bound before the slot term of `slot` in pattern `p` is matched. */
  private availableAt(v: string, p: PatternInfo, slot: SlotInfo): boolean {
    const site =
      this.siteOf(v) ??
      (p.locals.has(v) ? { pattern: p, slot: p.locals.get(v) as SlotInfo } : undefined);
    if (site === undefined) return false;
    if (site.pattern.index !== p.index) return site.pattern.index < p.index;
    return site.slot.order < slot.order;
  }

  /** Where a variable (user or generated) gets its value. */
  private siteOf(v: string): Site | undefined {
    const user = this.binds.get(v);
    if (user !== undefined) return user;
    for (const p of this.patterns) {
      if (!p.positive) continue;
      for (const s of p.slots.values())
        if (s.needsVar && !s.bindVar && `?${p.label}-${s.def.name}` === v)
          return { pattern: p, slot: s };
    }
    return undefined;
  }

  private slotVar(p: PatternInfo, s: SlotInfo): string {
    return s.bindVar ?? `?${p.label}-${s.def.name}`;
  }

  /** `?x` and `$alias.slot` arguments of an expression. */
  private operand(
    arg: Extract<Arg, { kind: 'var' | 'ref' }>,
    p: PatternInfo,
    at: At,
  ): Operand | undefined {
    if (arg.kind === 'ref') {
      const v = this.ref(arg.alias, arg.field, at);
      return v && { kind: 'var', text: v.name, deps: [v.name] };
    }
    if (p.locals.has(arg.name)) return { kind: 'var', text: arg.name, deps: [arg.name] };
    const v = this.readVar(arg.name, at);
    return v && { kind: 'var', text: arg.name, deps: [arg.name] };
  }

  private readRaw(text: string, at: At): string[] {
    const names = scanVariables(text).map((u) => u.name);
    for (const n of names) this.readVar(n, at);
    return names;
  }

  // ---- RhsScope (also used for tests and expression arguments) -------------------------------

  readVar(name: string, at: At): { multi: boolean } | undefined {
    const site = this.binds.get(name);
    if (site !== undefined) return { multi: site.slot.def.multislot };
    // Fathom-style generated names (`?alias-slot`) read that slot of the aliased pattern.
    for (const [alias, p] of this.aliases) {
      if (!p.positive || !name.startsWith(`?${alias}-`)) continue;
      const slotName = name.slice(alias.length + 2);
      if (p.template?.slots.some((s) => s.name === slotName)) return this.ref(alias, slotName, at);
    }
    const fact = this.aliases.get(name.slice(1));
    if (fact?.positive) {
      this.factVar(name.slice(1), at);
      return { multi: false };
    }
    const known = [...this.binds.keys()];
    const local = this.patterns.find((p) => p.locals.has(name));
    return this.report(
      'NAU_RULES_UNBOUND_VARIABLE',
      local
        ? `${name} is bound only inside ${local.def.kind === 'not' ? 'a not' : 'an exists'} pattern and cannot be used here`
        : `variable ${name} is not bound by any pattern${didYouMean(name, known)}`,
      at,
    );
  }

  ref(alias: string, field: string, at: At): { name: string; multi: boolean } | undefined {
    const p = this.aliases.get(alias);
    if (p === undefined)
      return this.report(
        'NAU_RULES_UNKNOWN_REFERENCE',
        `unknown alias $${alias}${didYouMean(
          `$${alias}`,
          [...this.aliases.keys()].map((a) => `$${a}`),
        )}`,
        at,
      );
    if (p.template === undefined) return undefined;
    const slot = this.slotOf(p, field, at);
    if (slot === undefined) return undefined;
    slot.needsVar = true;
    return { name: this.slotVar(p, slot), multi: slot.def.multislot };
  }

  factVar(alias: string, at: At): { name: string; template: TemplateDef } | undefined {
    const p = this.aliases.get(alias);
    if (p === undefined)
      return this.report(
        'NAU_RULES_UNKNOWN_REFERENCE',
        `unknown alias $${alias}${didYouMean(
          `$${alias}`,
          [...this.aliases.keys()].map((a) => `$${a}`),
        )}`,
        at,
      );
    if (p.template === undefined) return undefined;
    p.factVar = `?${alias}`;
    return { name: p.factVar, template: p.template };
  }

  // ---- emission -----------------------------------------------------------------------------

  private emit(rhs: ReadonlyArray<{ text: string; loc: Loc }>): CompiledUnit {
    const w = new UnitWriter();
    const name = `${this.module}::${this.rule}`;
    const description = this.def.description.trim();
    const comment = description === '' ? '' : ` ${quoteString(description)}`;
    w.line(`(defrule ${name}${comment}`, this.def.loc);
    if (this.def.salience !== 0)
      w.line(`  (declare (salience ${this.def.salience}))`, this.def.loc);
    for (const p of this.patterns) {
      w.line(`  ${this.patternText(p)}`, p.def.loc);
      for (const t of this.tests) if (t.after === p.index) w.line(`  ${t.render()}`, t.loc);
    }
    w.line('  =>', this.def.then.loc);
    for (const r of rhs) w.line(`  ${r.text}`, r.loc);
    w.append(')');
    return w.unit('defrule', name, this.def.loc);
  }

  private patternText(p: PatternInfo): string {
    const terms: string[] = [];
    for (const s of p.slots.values()) {
      const term = this.slotTerm(p, s);
      if (term !== undefined) terms.push(term);
    }
    const body = `(${p.def.template.text}${terms.map((t) => ` ${t}`).join('')})`;
    if (p.def.kind !== 'pattern') return `(${p.def.kind} ${body})`;
    return p.factVar ? `${p.factVar} <- ${body}` : body;
  }

  private slotTerm(p: PatternInfo, s: SlotInfo): string | undefined {
    const name = s.def.name;
    const only = s.constraints.length === 1 ? s.constraints[0] : undefined;
    if (!s.bindVar && !s.needsVar) {
      if (s.constraints.length === 0) return undefined;
      if (only?.standalone !== undefined) return `(${name} ${only.standalone})`;
    }
    const v = this.slotVar(p, s);
    const head = s.def.multislot ? `$${v}` : v;
    return `(${name} ${[head, ...s.constraints.map((c) => c.term(v))].join('&')})`;
  }
}

const kindText = (s: SlotDef) => (s.multislot ? 'multislot' : 'single-value slot');
