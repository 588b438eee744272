// Shared helpers for the rules front-end tests: rule files given as text, compiled and installed
// into a fresh engine.
import { Engine, type JsValue } from '../../src/engine/index.ts';
import {
  type CompiledRules,
  checkRules,
  compileRules,
  installRules,
  loadRuleSources,
  type RuleSet,
} from '../../src/rules/index.ts';

export type Files = Readonly<Record<string, string>>;

export const TEMPLATES = `
templates:
  - name: person
    slots:
      - { name: name, type: string, required: true }
      - { name: role, type: symbol, allowed_values: [admin, user, guest], default: user }
      - { name: age, type: integer, default: 0 }
      - { name: score, type: float, default: 0.0 }
      - { name: level, type: string, default: unclassified }
      - { name: tags, type: symbol, multislot: true }
      - { name: groups, type: string, default: "" }
      - { name: seen_at, type: float, default: 0.0 }
  - name: doc
    slots:
      - { name: id, type: string, required: true }
      - { name: owner, type: string, default: "" }
      - { name: level, type: string, default: unclassified }
      - { name: size, type: integer, default: 0 }
      - { name: kind, type: symbol, default: text }
      - { name: compartments, type: string, default: "" }
  - name: out
    slots:
      - { name: who, type: string, default: "" }
      - { name: what, type: string, default: "" }
      - { name: n, type: integer, default: 0 }
      - { name: tags, type: symbol, multislot: true }
`;

export const MODULES = `
modules:
  - { name: main-rules }
focus_order: [main-rules]
`;

export const HIERARCHY = `
name: classification
levels: [unclassified, cui, confidential, secret, top-secret]
`;

export const FUNCTIONS = `
functions:
  - name: clf
    type: classification
    hierarchy_ref: classification.yaml
`;

/** Standard templates/modules/functions plus the given rules text. */
export function withRules(rules: string, extra: Files = {}): Files {
  return {
    'r/templates/t.yaml': TEMPLATES,
    'r/modules/m.yaml': MODULES,
    'r/hierarchies/classification.yaml': HIERARCHY,
    'r/functions/f.yaml': FUNCTIONS,
    'r/rules/rules.yaml': `module: main-rules\nrules:\n${rules}`,
    ...extra,
  };
}

export function load(files: Files): RuleSet {
  const entries = Object.entries(files);
  return loadRuleSources(
    entries.map(([path, text]) => ({ path, text })),
    { readFile: (p) => files[p] },
  );
}

/** Every error message (load, compile and engine build). */
export function errorsOf(files: Files): string[] {
  return checkRules(load(files)).errors.map((e) => `[${e.code}] ${e.message}`);
}

/** Compiles, failing the test with every error when there is any. */
export function compileOk(files: Files): CompiledRules {
  const r = checkRules(load(files));
  if (r.errors.length > 0) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.compiled;
}

/** The defrule text of one rule. */
export function ruleText(compiled: CompiledRules, name: string): string {
  const u = compiled.units.find((x) => x.kind === 'defrule' && x.name.endsWith(`::${name}`));
  if (u === undefined) throw new Error(`no rule ${name}`);
  return u.text;
}

export interface Harness {
  readonly engine: Engine;
  readonly compiled: CompiledRules;
  assert(template: string, slots: Record<string, JsValue>): void;
  /** Runs and returns the names of the rules fired, in order. */
  run(): string[];
  /** Facts of a template as plain objects (symbols as strings). */
  facts(template: string): Array<Record<string, unknown>>;
}

export function harness(files: Files, clock = () => 1_000_000): Harness {
  const compiled = compileOk(files);
  const engine = new Engine({ clock });
  installRules(engine, compiled);
  engine.reset();
  return {
    engine,
    compiled,
    assert: (t, s) => {
      engine.assertFact(t, s);
    },
    run: () => {
      engine.focus(...compiled.focusOrder);
      return engine.run().fired.map((f) => f.rule);
    },
    facts: (t) =>
      engine.facts({ template: t }).map((f) =>
        Object.fromEntries(
          f.template.slots.map((s, i) => {
            const v = f.slots[i];
            return [
              s.name,
              Array.isArray(v) ? v.map(String) : typeof v === 'bigint' ? Number(v) : String(v),
            ];
          }),
        ),
      ),
  };
}

export { compileRules };
