// A RuleSet to CLIPS constructs, in build order: MAIN's export, the decision template and the
// user templates, raw deffunctions, the defmodules, then the rules. Templates and functions
// live in MAIN, which every module imports. Classification functions become host functions
// (src/rules/host/), not deffunctions; the text lists them in a comment.
import type { NautilusError } from '../errors.ts';
import { isPlainSymbol, literalFor, quoteString } from './clips-text.ts';
import type { Classification } from './compile-conditions.ts';
import { compileRule } from './compile-rule.ts';
import { DECISION_TEMPLATE } from './compile-then.ts';
import { type CompiledUnit, UnitWriter } from './compile-unit.ts';
import { rulesError, sortErrors } from './diagnostics.ts';
import { mergeFocusOrders } from './focus.ts';
import type { RuleSet } from './load.ts';
import type { FunctionDef, Loc, Scalar, SlotDef, TemplateDef } from './model.ts';
import { didYouMean } from './suggest.ts';

export interface CompiledRuleInfo {
  readonly module: string;
  readonly name: string;
  readonly salience: number;
  readonly ruleset: string;
  readonly loc: Loc;
}

export interface CompiledRules {
  /** Constructs in build order. */
  readonly units: readonly CompiledUnit[];
  /** The whole program as CLIPS text (what `nautilus rules compile` prints). */
  readonly text: string;
  /** Modules in the order they run (focus is pushed so the first runs first). */
  readonly focusOrder: readonly string[];
  /** Hierarchies by registry key: levels lowest first. */
  readonly hierarchies: ReadonlyMap<string, readonly string[]>;
  readonly classification: ReadonlyArray<{ readonly name: string; readonly hierarchy: string }>;
  readonly templates: readonly TemplateDef[];
  readonly rules: readonly CompiledRuleInfo[];
  readonly errors: readonly NautilusError[];
}

const CLIPS_TYPES = {
  string: 'STRING',
  symbol: 'SYMBOL',
  integer: 'INTEGER',
  float: 'FLOAT',
} as const;
const ALLOWED = {
  string: 'allowed-strings',
  symbol: 'allowed-symbols',
  integer: 'allowed-integers',
  float: 'allowed-floats',
} as const;
const GENERATED: Loc = { file: '<nautilus>' };

export function compileRules(set: RuleSet): CompiledRules {
  const errors: NautilusError[] = [];
  const units: CompiledUnit[] = [];
  const templates = new Map(set.templates.map((t) => [t.name, t]));
  const hierarchies = new Map(set.hierarchies.map((h) => [h.key, h.levels]));
  const classification = set.functions
    .filter(
      (f): f is FunctionDef & { hierarchy: string } =>
        f.type === 'classification' && f.hierarchy !== undefined,
    )
    .map((f) => ({ name: f.name, hierarchy: f.hierarchy }));

  units.push(
    new UnitWriter()
      .line('(defmodule MAIN (export ?ALL))', GENERATED)
      .unit('defmodule', 'MAIN', GENERATED),
  );
  units.push(decisionTemplate());
  for (const t of set.templates) {
    const u = compileTemplate(t, errors);
    if (u) units.push(u);
  }
  for (const f of set.functions) if (f.type === 'raw') units.push(rawFunction(f));
  for (const m of set.modules) {
    const comment = m.description?.trim() ? ` ${quoteString(m.description.trim())}` : '';
    units.push(
      new UnitWriter()
        .line(`(defmodule ${m.name}${comment} (import MAIN ?ALL))`, m.loc)
        .unit('defmodule', m.name, m.loc),
    );
  }
  for (const c of set.clpFiles) {
    const lines = c.text.split('\n').map((_, i) => ({ file: c.path, line: i + 1, column: 1 }));
    units.push({
      kind: 'clp',
      name: c.path,
      text: c.text,
      lines,
      origin: { file: c.path, line: 1 },
      verbatim: true,
    });
  }

  const modules = new Set(['MAIN', ...set.modules.map((m) => m.name)]);
  const used = new Map<string, Loc>();
  const rules: CompiledRuleInfo[] = [];
  const env = {
    templates,
    errors,
    classification: (h: string | undefined, op: string, report: (reason: string) => void) =>
      resolveClassification(h, op, report, classification, hierarchies),
  };
  for (const rs of set.rulesets) {
    // The loader reported an undeclared module; compiling its rules would only add noise.
    if (!modules.has(rs.module.text)) continue;
    for (const r of rs.rules) {
      if (!used.has(rs.module.text)) used.set(rs.module.text, rs.module.loc);
      const u = compileRule(r, rs.module.text, env);
      if (u === undefined) continue;
      units.push(u);
      rules.push({
        module: rs.module.text,
        name: r.name,
        salience: r.salience,
        ruleset: rs.ruleset,
        loc: r.loc,
      });
    }
  }
  const focusOrder = mergeFocusOrders(set.focusOrders, set.modules, used, errors);
  return {
    units,
    text: programText(units, classification),
    focusOrder,
    hierarchies,
    classification,
    templates: set.templates,
    rules,
    errors: sortErrors(errors),
  };
}

function resolveClassification(
  h: string | undefined,
  op: string,
  report: (reason: string) => void,
  fns: ReadonlyArray<{ name: string; hierarchy: string }>,
  hierarchies: ReadonlyMap<string, readonly string[]>,
): Classification | undefined {
  const levels = (key: string) => hierarchies.get(key) ?? [];
  if (h === undefined) {
    const only = fns.length === 1 ? fns[0] : undefined;
    if (only) return { fn: only.name, key: only.hierarchy, levels: levels(only.hierarchy) };
    const [key] = hierarchies.keys();
    if (fns.length === 0 && op === 'dominates' && hierarchies.size === 1 && key !== undefined)
      return { key, levels: levels(key) };
    report(
      fns.length === 0
        ? `${op} needs a classification function (type: classification, hierarchy_ref: ...)`
        : `${op} is ambiguous with ${fns.length} classification functions (${fns.map((f) => f.name).join(', ')}); name one: ${op}(level, ${fns[0]?.name})`,
    );
    return undefined;
  }
  const fn = fns.find((f) => f.name === h);
  if (fn) return { fn: fn.name, key: fn.hierarchy, levels: levels(fn.hierarchy) };
  if (hierarchies.has(h)) {
    const owner = fns.find((f) => f.hierarchy === h);
    return { ...(owner ? { fn: owner.name } : {}), key: h, levels: levels(h) };
  }
  report(
    `unknown classification function or hierarchy ${h}${didYouMean(h, [...fns.map((f) => f.name), ...hierarchies.keys()])}`,
  );
  return undefined;
}

/** The template behind `then.action`: one fact per decision (Fathom's `__fathom_decision`). */
function decisionTemplate(): CompiledUnit {
  const w = new UnitWriter();
  w.line(`(deftemplate MAIN::${DECISION_TEMPLATE}`, GENERATED)
    .line(
      '  (slot action (type SYMBOL) (allowed-symbols allow deny escalate scope route))',
      GENERATED,
    )
    .line('  (slot reason (type STRING))', GENERATED)
    .line('  (slot rule (type STRING))', GENERATED)
    .line(
      '  (slot log-level (type SYMBOL) (allowed-symbols none summary full) (default summary))',
      GENERATED,
    )
    .line('  (multislot notify (type STRING))', GENERATED)
    .line('  (slot attestation (type SYMBOL) (allowed-symbols FALSE TRUE))', GENERATED)
    .line('  (slot metadata (type STRING)))', GENERATED);
  return w.unit('deftemplate', DECISION_TEMPLATE, GENERATED);
}

function compileTemplate(t: TemplateDef, errors: NautilusError[]): CompiledUnit | undefined {
  const w = new UnitWriter();
  const comment = t.description?.trim() ? ` ${quoteString(t.description.trim())}` : '';
  w.line(`(deftemplate MAIN::${t.name}${comment}`, t.loc);
  let ok = true;
  for (const s of t.slots) {
    const text = slotText(s, (reason) => {
      ok = false;
      errors.push(
        rulesError('NAU_RULES_TYPE', reason, {
          location: s.loc,
          construct: `template ${t.name}`,
          path: `slot ${s.name}`,
        }),
      );
    });
    w.line(`  ${text}`, s.loc);
  }
  w.append(')');
  return ok ? w.unit('deftemplate', t.name, t.loc) : undefined;
}

function slotText(s: SlotDef, fail: (reason: string) => void): string {
  const parts = [
    `${s.multislot ? 'multislot' : 'slot'} ${s.name}`,
    `(type ${CLIPS_TYPES[s.type]})`,
  ];
  const lit = (v: Scalar) => {
    const l = literalFor(v, s.type);
    return 'text' in l ? l.text : '';
  };
  if (s.allowedValues) {
    const bad = s.allowedValues.filter(
      (v) => s.type === 'symbol' && !isPlainSymbol(String(v)) && typeof v !== 'boolean',
    );
    if (bad.length > 0) fail(`allowed value ${String(bad[0])} cannot be written as a CLIPS symbol`);
    parts.push(`(${ALLOWED[s.type]} ${s.allowedValues.map(lit).join(' ')})`);
  }
  if (s.default !== undefined) {
    const values = Array.isArray(s.default) ? (s.default as Scalar[]) : [s.default as Scalar];
    if (values.length > 0) parts.push(`(default ${values.map(lit).join(' ')})`);
  } else if (s.required) {
    // CLIPS's own "required": an assert that omits the slot is refused.
    parts.push('(default ?NONE)');
  }
  return `(${parts.join(' ')})`;
}

function rawFunction(f: FunctionDef): CompiledUnit {
  const body = (f.body ?? '').replace(/^(\s*\(\s*deffunction\s+)(?!MAIN::)/, '$1MAIN::');
  const start = f.bodyLoc ?? f.loc;
  // The first line's column also absorbs the `MAIN::` inserted into the name.
  const shift = body.length - (f.body ?? '').length;
  const lines = body.split('\n').map((_, i) => ({
    file: start.file,
    line: (start.line ?? 1) + i,
    column: (start.column ?? 1) - (i === 0 ? shift : 0),
  }));
  return {
    kind: 'deffunction',
    name: f.name,
    text: body.trimEnd(),
    lines,
    origin: f.loc,
    verbatim: true,
  };
}

function programText(
  units: readonly CompiledUnit[],
  classification: ReadonlyArray<{ name: string; hierarchy: string }>,
): string {
  const out = ['; Generated by nautilus rules compile.'];
  for (const c of classification)
    out.push(
      `; host functions ${c.name}-rank, ${c.name}-below, ${c.name}-meets-or-exceeds, ${c.name}-within-scope (hierarchy ${c.hierarchy})`,
    );
  for (const u of units) {
    const where = u.origin.line === undefined ? u.origin.file : `${u.origin.file}:${u.origin.line}`;
    out.push('', `; ${u.kind} ${u.name} (${where})`, u.text);
  }
  return `${out.join('\n')}\n`;
}
