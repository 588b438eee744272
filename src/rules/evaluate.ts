// Running installed rules once: push the focus order, run to quiescence, read the decisions the
// rules asserted (`then.action`), retract them, and report which rules fired.
import type { Engine, Firing, RunResult } from '../engine/index.ts';
import { fromValue } from '../engine/index.ts';
import type { CompiledRules } from './compile.ts';
import { DECISION_TEMPLATE } from './compile-then.ts';

export interface Decision {
  readonly action: string;
  readonly reason: string;
  /** `module::rule`. */
  readonly rule: string;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface Evaluation {
  /** The last decision asserted (Fathom's last-wins), or the default. */
  readonly decision: string;
  readonly reason: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Every decision fact, in assertion order (identical ones collapse, as in CLIPS). */
  readonly decisions: readonly Decision[];
  /** `module::rule` of every firing, in firing order (Fathom listed only rules with an action,
   *  once per distinct decision fact). */
  readonly ruleTrace: readonly string[];
  /** Modules that fired, in first-firing order. */
  readonly moduleTrace: readonly string[];
  readonly fired: readonly Firing[];
  readonly stopped: RunResult['stopped'];
}

export interface EvaluateOptions {
  readonly defaultDecision?: string;
  /** Firing limit for this run. */
  readonly limit?: number;
}

export function evaluate(
  engine: Engine,
  compiled: Pick<CompiledRules, 'focusOrder'>,
  options: EvaluateOptions = {},
): Evaluation {
  if (compiled.focusOrder.length > 0) engine.focus(...compiled.focusOrder);
  const run = engine.run(options.limit);
  const facts = engine.facts({ template: DECISION_TEMPLATE });
  const decisions = facts.map((f): Decision => {
    const metadata = fromValue(f.get('metadata') ?? '') as string;
    return {
      action: String(fromValue(f.get('action') ?? '')),
      reason: String(fromValue(f.get('reason') ?? '')),
      rule: String(fromValue(f.get('rule') ?? '')),
      metadata: metadata === '' ? {} : (JSON.parse(metadata) as Record<string, string>),
    };
  });
  for (const f of facts) engine.retract(f);
  const last = decisions.at(-1);
  const ruleTrace = run.fired.map((f) => `${f.module}::${f.rule}`);
  return {
    decision: last?.action ?? options.defaultDecision ?? 'deny',
    reason: last?.reason ?? 'default decision (no rule decided)',
    metadata: last?.metadata ?? {},
    decisions,
    ruleTrace,
    moduleTrace: [...new Set(run.fired.map((f) => f.module))],
    fired: run.fired,
    stopped: run.stopped,
  };
}
