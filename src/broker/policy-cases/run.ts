// Running policy cases (`nautilus rules test`): each case gets a fresh engine with the rules
// installed and a PolicyEngine over the case's sources and policy_config, exactly as the broker
// builds one; its session facts go through engine phase 2 and its request through engine
// phase 1 (`routeFacts`), so a case tests what the broker would decide, denial-wins and global
// `*` denials included. Every firing and every fact asserted is recorded for the trace.
import { Engine, type Fact, fromValue, type JsValue, type Value } from '../../engine/index.ts';
import { NautilusError } from '../../errors.ts';
import {
  type CasesContext,
  type CasesFile,
  type CompiledRules,
  checkRuleDirs,
  installRules,
  type PolicyCase,
  readCasesFile,
  type TemplateDef,
} from '../../rules/index.ts';
import {
  PolicyEngine,
  type PolicyParams,
  type PolicySource,
  type RoutingOutcome,
  SESSION_TEMPLATES,
} from '../policy-engine.ts';
import { compareCase } from './compare.ts';

export interface TraceEntry {
  /** `session`: the settle run of the case's session facts; `request`: engine phase 1. */
  readonly phase: 'session' | 'request';
  /** `module::rule`. */
  readonly rule: string;
  /** Fact ids matched by each pattern, null for not/exists patterns. */
  readonly facts: ReadonlyArray<number | null>;
}

/** What a case observed (for reports). */
export interface CaseObservation {
  readonly outcome: RoutingOutcome;
  /** exposure_flag names in working memory after the request. */
  readonly flags: readonly string[];
  /** The request's session_summary after the request, if any. */
  readonly summary: Fact | undefined;
}

export interface CaseResult {
  readonly case: PolicyCase;
  readonly ok: boolean;
  /** What differs from the expectation, one line each (or why the case could not run). */
  readonly differences: readonly string[];
  readonly observed?: CaseObservation;
  readonly trace: readonly TraceEntry[];
  /** The printed form of every fact asserted during the case, by id. */
  readonly facts: ReadonlyMap<number, string>;
}

export interface CasesRun {
  readonly casesFile: string;
  readonly dirs: readonly string[];
  readonly results: readonly CaseResult[];
  /** Errors in the rules or the cases file: no case ran. */
  readonly errors: readonly NautilusError[];
  readonly passed: number;
  readonly failed: number;
}

/** Loads the rules directories and the cases file, then runs every case. */
export function runPolicyCases(dirs: readonly string[], casesFile: string): CasesRun {
  const empty = { casesFile, dirs, results: [], passed: 0, failed: 0 };
  const check = checkRuleDirs(dirs);
  if (check.errors.length > 0) return { ...empty, errors: check.errors };
  const file = readCasesFile(casesFile, casesContext(check.compiled));
  if (file.errors.length > 0) return { ...empty, errors: file.errors };
  const results = runCases(check.compiled, file);
  const passed = results.filter((r) => r.ok).length;
  return { ...empty, results, errors: [], passed, failed: results.length - passed };
}

/** What the cases parser needs to know about a rule set. */
export function casesContext(compiled: CompiledRules): CasesContext {
  return {
    templates: compiled.templates,
    rules: compiled.rules.map((r) => `${r.module}::${r.name}`),
    sessionTemplates: SESSION_TEMPLATES,
  };
}

export function runCases(compiled: CompiledRules, file: CasesFile): CaseResult[] {
  return file.cases.map((c) => runCase(compiled, c));
}

const ASSERTED = /^==> f-(\d+)\s+(.*)$/;

export function runCase(compiled: CompiledRules, c: PolicyCase): CaseResult {
  const facts = new Map<number, string>();
  const trace: TraceEntry[] = [];
  // The watch trace names every fact as it is asserted, before a rule can retract or modify it.
  const engine = new Engine({
    clock: () => c.now,
    write: (name, text) => {
      if (name !== 'wtrace') return;
      for (const line of text.split('\n')) {
        const m = ASSERTED.exec(line);
        if (m) facts.set(Number(m[1]), m[2] as string);
      }
    },
  });
  let phase: TraceEntry['phase'] = 'session';
  try {
    installRules(engine, compiled);
    engine.watch.facts = true;
    engine.onFire((f) => trace.push({ phase, rule: `${f.module}::${f.rule}`, facts: f.facts }));
    const policy = new PolicyEngine(engine, policySources(c), policyParams(c, compiled.templates), {
      focusOrder: compiled.focusOrder,
    });
    if (c.session.length > 0) policy.applySessionFacts(c.session);
    phase = 'request';
    const outcome = policy.routeFacts(c.requestId, c.facts);
    const observed: CaseObservation = {
      outcome,
      flags: [
        ...new Set(engine.facts({ template: 'exposure_flag' }).map((f) => slotText(f, 'flag'))),
      ],
      summary:
        c.sessionId === ''
          ? undefined
          : engine.facts({ template: 'session_summary', where: { session_id: c.sessionId } })[0],
    };
    const fired = new Set(trace.map((t) => t.rule));
    const differences = compareCase(c, observed, fired);
    return { case: c, ok: differences.length === 0, differences, observed, trace, facts };
  } catch (x) {
    const e =
      x instanceof NautilusError || (x instanceof Error && 'code' in x)
        ? `[${String((x as { code: unknown }).code)}] ${x.message}`
        : String(x);
    return { case: c, ok: false, differences: [`the case failed to run: ${e}`], trace, facts };
  }
}

/** The case's `source` facts as the broker's source registry hands them to the policy. */
function policySources(c: PolicyCase): PolicySource[] {
  return c.config
    .filter((f) => f.template === 'source')
    .map((f) => ({
      id: text(f.slots.id),
      type: text(f.slots.type),
      classification: text(f.slots.classification),
      compartments: list(f.slots.compartments),
      dataTypes: list(f.slots.data_types),
      allowedPurposes: list(f.slots.allowed_purposes),
    }));
}

/** The case's policy_config, or the template's defaults. */
function policyParams(c: PolicyCase, templates: readonly TemplateDef[]): PolicyParams {
  const fact = c.config.find((f) => f.template === 'policy_config');
  const t = templates.find((x) => x.name === 'policy_config');
  const get = (slot: string, fallback: number): number => {
    const v = fact?.slots[slot] ?? t?.slots.find((s) => s.name === slot)?.default;
    return v === undefined ? fallback : Number(v);
  };
  return {
    piiSourceLimit: get('pii_source_limit', 3),
    purposeTtlSeconds: get('purpose_ttl_seconds', 0),
  };
}

function text(v: Value | JsValue | undefined): string {
  if (v === undefined || v === null || Array.isArray(v)) return '';
  return String(fromValue(v as Value));
}

function list(v: Value | undefined): string[] {
  return Array.isArray(v) ? v.map((x) => String(fromValue(x))) : [];
}

function slotText(f: Fact, slot: string): string {
  const v = f.get(slot);
  return v === undefined ? '' : String(fromValue(v));
}
