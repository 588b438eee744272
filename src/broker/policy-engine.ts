// The broker's two engine phases over the built-in fact model (docs/fact-model.md).
// Phase 1: assert one request's transient facts, run the modules in focus order (policy,
// routing, transformation, with user modules merged in), read the decisions back, and retract
// everything the request added that is not session state. Phase 2: assert a request's session
// facts (exposures) and run the policy again so summaries and flags follow. The engine is
// synchronous, so one call is atomic with respect to every other request on the event loop: no
// other request's facts can be in working memory while it runs.
import { type Engine, type Fact, type Firing, fromValue, type JsValue } from '../engine/index.ts';
import { NautilusError } from '../errors.ts';

/** A configured source as the policy sees it (the `source` template). */
export interface PolicySource {
  readonly id: string;
  readonly type: string;
  readonly classification: string;
  readonly compartments: readonly string[];
  readonly dataTypes: readonly string[];
  /** Empty: every purpose. */
  readonly allowedPurposes: readonly string[];
}

export interface PolicyParams {
  readonly piiSourceLimit: number;
  /** 0: purposes never expire. */
  readonly purposeTtlSeconds: number;
}

export interface RoutingInput {
  readonly requestId: string;
  readonly sessionId: string | null;
  readonly agent: {
    readonly id: string;
    readonly clearance: string;
    readonly compartments: readonly string[];
    readonly registered: boolean;
  };
  readonly purpose: string | null;
  /** The broker's clock, epoch seconds. */
  readonly now: number;
  readonly intent: {
    readonly dataTypes: readonly string[];
    readonly confidence: number;
    readonly structured: boolean;
  };
  readonly filters: ReadonlyArray<{
    readonly field: string;
    readonly operator: string;
    readonly value: readonly string[];
  }>;
}

/** A fact as the engine API takes it: template name and slot values. */
export interface PolicyFact {
  readonly template: string;
  readonly slots: Readonly<Record<string, JsValue>>;
}

export interface PolicyEngineOptions {
  /** Modules in the order they run (`CompiledRules.focusOrder`, which merges user modules in);
   *  default policy -> routing -> transformation. */
  readonly focusOrder?: readonly string[];
}

/** What engine phase 2 did. */
export interface SessionUpdate {
  /** `module::rule` of every firing, in firing order. */
  readonly ruleTrace: readonly string[];
  /** Session-state facts asserted or created by the run (exposures, flags, summaries). */
  readonly sessionFacts: readonly Fact[];
}

export interface SourceVerdict {
  readonly sourceId: string;
  readonly reason: string;
  readonly rule: string;
}

export interface PolicyScope {
  readonly field: string;
  readonly operator: string;
  readonly value: readonly string[];
  readonly validFrom: string | null;
  readonly expiresAt: string | null;
  readonly rule: string;
}

export interface RoutingOutcome {
  /** Sources to query (routed and not denied), in source registry order. */
  readonly routed: readonly SourceVerdict[];
  /** Every denial, one per source and rule; a global (`*`) denial is listed per source. */
  readonly denied: readonly SourceVerdict[];
  /** Sources neither routed nor denied. */
  readonly skipped: readonly SourceVerdict[];
  /** Scope constraints per routed source. */
  readonly scope: ReadonlyMap<string, readonly PolicyScope[]>;
  /** `module::rule` of every firing, in firing order. */
  readonly ruleTrace: readonly string[];
  /** Facts this request asserted, by template. */
  readonly factsAsserted: Readonly<Record<string, number>>;
  /** Session-state facts the run created (flags, summaries): kept in working memory. */
  readonly sessionFacts: readonly Fact[];
}

/** Templates that hold session state or configuration: never retracted at a request's end. */
export const RESIDENT_TEMPLATES: ReadonlySet<string> = new Set([
  'source',
  'policy_config',
  'session_exposure',
  'session_purpose',
  'exposure_flag',
  'session_summary',
]);

/** Session state that engine phase 2 may assert (sources and configuration are set up once). */
export const SESSION_TEMPLATES: ReadonlySet<string> = new Set([
  'session_exposure',
  'session_purpose',
  'exposure_flag',
  'session_summary',
]);

const DEFAULT_FOCUS = ['policy', 'routing', 'transformation'] as const;

export class PolicyEngine {
  private readonly sourceIds: ReadonlySet<string>;
  private readonly focusOrder: readonly string[];

  constructor(
    readonly engine: Engine,
    readonly sources: readonly PolicySource[],
    params: PolicyParams,
    options: PolicyEngineOptions = {},
  ) {
    this.sourceIds = new Set(sources.map((s) => s.id));
    this.focusOrder = options.focusOrder ?? DEFAULT_FOCUS;
    for (const s of sources) {
      engine.assertFact('source', {
        id: s.id,
        type: s.type,
        classification: s.classification,
        compartments: [...s.compartments],
        data_types: [...s.dataTypes],
        allowed_purposes: [...s.allowedPurposes],
      });
    }
    engine.assertFact('policy_config', {
      pii_source_limit: BigInt(params.piiSourceLimit),
      purpose_ttl_seconds: params.purposeTtlSeconds,
    });
    // Nothing may be pending from loading: a rule that fires on configuration alone is a
    // policy bug we want to see at startup, not during the first request.
    engine.run();
  }

  /** Engine phase 1 for a request. */
  route(input: RoutingInput): RoutingOutcome {
    return this.routeFacts(input.requestId, requestFacts(input));
  }

  /**
   * Engine phase 1 over explicit transient facts: `route` builds them from a RoutingInput; a
   * handoff check adds a `data_handoff`; `nautilus rules test` passes a case's facts. Session
   * and configuration templates are refused: they would outlive the request.
   */
  routeFacts(requestId: string, facts: readonly PolicyFact[]): RoutingOutcome {
    for (const f of facts) {
      if (RESIDENT_TEMPLATES.has(f.template)) {
        throw new NautilusError(
          'NAU_POLICY_FACT',
          `a request cannot assert a ${f.template} fact (session state and configuration are resident; engine phase 2 asserts session facts)`,
          500,
        );
      }
    }
    const e = this.engine;
    const first = e.nextId;
    const counts: Record<string, number> = {};
    try {
      for (const f of facts) {
        e.assertFact(f.template, f.slots);
        counts[f.template] = (counts[f.template] ?? 0) + 1;
      }
      const fired = this.runToQuiescence();
      return this.readOutcome(requestId, first, fired, counts);
    } finally {
      this.retractTransient(first);
    }
  }

  /**
   * Engine phase 2: asserts session facts (a request's exposures, a session's purpose, or a
   * restored session's state) and runs the modules so summaries and flags follow.
   */
  applySessionFacts(facts: readonly PolicyFact[]): SessionUpdate {
    for (const f of facts) {
      if (!SESSION_TEMPLATES.has(f.template)) {
        throw new NautilusError(
          'NAU_POLICY_FACT',
          `${f.template} is not session state; session facts are ${[...SESSION_TEMPLATES].join(', ')}`,
          500,
        );
      }
    }
    const e = this.engine;
    const first = e.nextId;
    try {
      for (const f of facts) e.assertFact(f.template, f.slots);
    } catch (x) {
      // All or nothing: a fact that does not fit its template takes back the ones before it.
      for (let id = first; id < e.nextId; id++) {
        const f = e.fact(id);
        if (f !== undefined && !f.retracted) e.retract(f);
      }
      throw x;
    }
    const fired = this.runToQuiescence();
    const sessionFacts: Fact[] = [];
    for (let id = first; id < e.nextId; id++) {
      const f = e.fact(id);
      if (f !== undefined && SESSION_TEMPLATES.has(f.template.name)) sessionFacts.push(f);
    }
    return { ruleTrace: fired.map((f) => `${f.module}::${f.rule}`), sessionFacts };
  }

  /** Pushes the focus order and runs until the agenda is empty (a runaway policy is an error). */
  private runToQuiescence(): readonly Firing[] {
    const e = this.engine;
    e.focus(...this.focusOrder);
    const run = e.run();
    if (run.stopped !== 'empty') {
      throw new NautilusError(
        'NAU_POLICY_RUNAWAY',
        `the policy did not settle: ${run.stopped === 'limit' ? 'the rule firing limit was reached' : 'a rule called (halt)'}`,
        500,
      );
    }
    return run.fired;
  }

  private readOutcome(
    requestId: string,
    first: number,
    fired: readonly { rule: string; module: string }[],
    counts: Record<string, number>,
  ): RoutingOutcome {
    const e = this.engine;
    const str = (f: Fact, slot: string): string => {
      const v = f.get(slot);
      return v === undefined ? '' : String(fromValue(v));
    };
    const mine = (template: string): Fact[] =>
      e.facts({ template, where: { request_id: requestId } });
    const problems: string[] = [];

    const routedRaw = new Map<string, SourceVerdict>();
    const skippedRaw = new Map<string, SourceVerdict>();
    for (const f of mine('routing_decision')) {
      const v = { sourceId: str(f, 'source_id'), reason: str(f, 'reason'), rule: str(f, 'rule') };
      if (!this.sourceIds.has(v.sourceId))
        problems.push(`routing_decision names unknown source "${v.sourceId}" (rule ${v.rule})`);
      if (str(f, 'action') === 'route') routedRaw.set(v.sourceId, v);
      else skippedRaw.set(v.sourceId, v);
    }

    const denied: SourceVerdict[] = [];
    let global: SourceVerdict[] = [];
    for (const f of mine('denial_record')) {
      const v = { sourceId: str(f, 'source_id'), reason: str(f, 'reason'), rule: str(f, 'rule') };
      if (v.reason === '' || v.rule === '')
        problems.push(`denial_record for "${v.sourceId}" lacks a reason or a rule`);
      if (v.sourceId === '*') global = [...global, v];
      else if (!this.sourceIds.has(v.sourceId))
        problems.push(`denial_record names unknown source "${v.sourceId}" (rule ${v.rule})`);
      else denied.push(v);
    }
    for (const g of global) for (const s of this.sources) denied.push({ ...g, sourceId: s.id });
    const deniedIds = new Set(denied.map((d) => d.sourceId));

    const scope = new Map<string, PolicyScope[]>();
    for (const f of mine('scope_constraint')) {
      const sourceId = str(f, 'source_id');
      if (!routedRaw.has(sourceId)) {
        problems.push(`scope_constraint targets "${sourceId}", which was not routed`);
        continue;
      }
      const value = f.get('value');
      const list = scope.get(sourceId) ?? [];
      list.push({
        field: str(f, 'field'),
        operator: str(f, 'operator'),
        value: Array.isArray(value) ? value.map((x) => String(fromValue(x))) : [],
        validFrom: str(f, 'valid_from') || null,
        expiresAt: str(f, 'expires_at') || null,
        rule: str(f, 'rule'),
      });
      scope.set(sourceId, list);
    }
    if (problems.length > 0) {
      throw new NautilusError(
        'NAU_POLICY_INCONSISTENT',
        `the policy produced inconsistent decisions (request denied): ${problems.join('; ')}`,
        500,
        { problems },
      );
    }

    // Denial wins over routing; registry order keeps responses stable.
    const routed: SourceVerdict[] = [];
    const skipped: SourceVerdict[] = [];
    for (const s of this.sources) {
      if (deniedIds.has(s.id)) continue;
      const r = routedRaw.get(s.id);
      if (r !== undefined) routed.push(r);
      else
        skipped.push(
          skippedRaw.get(s.id) ?? {
            sourceId: s.id,
            reason: 'no rule routed this source',
            rule: '',
          },
        );
    }
    const sessionFacts: Fact[] = [];
    for (let id = first; id < e.nextId; id++) {
      const f = e.fact(id);
      if (f !== undefined && RESIDENT_TEMPLATES.has(f.template.name)) sessionFacts.push(f);
    }
    for (const s of scope.keys()) if (deniedIds.has(s)) scope.delete(s);
    return {
      routed,
      denied,
      skipped,
      scope,
      ruleTrace: fired.map((f) => `${f.module}::${f.rule}`),
      factsAsserted: counts,
      sessionFacts,
    };
  }

  /** Retracts every fact asserted since `first` that is not session state. */
  private retractTransient(first: number): void {
    const e = this.engine;
    const end = e.nextId;
    for (let id = first; id < end; id++) {
      const f = e.fact(id);
      if (f !== undefined && !RESIDENT_TEMPLATES.has(f.template.name)) e.retract(f);
    }
  }
}

/** The transient facts of a request (the `request`, `agent`, `intent` and `intent_filter`
 *  templates of docs/fact-model.md). */
export function requestFacts(input: RoutingInput): PolicyFact[] {
  const facts: PolicyFact[] = [
    {
      template: 'request',
      slots: {
        request_id: input.requestId,
        session_id: input.sessionId ?? '',
        agent_id: input.agent.id,
        purpose: input.purpose ?? 'nil',
        now: input.now,
      },
    },
    {
      template: 'agent',
      slots: {
        id: input.agent.id,
        clearance: input.agent.clearance,
        compartments: [...input.agent.compartments],
        registered: input.agent.registered ? 'TRUE' : 'FALSE',
      },
    },
    {
      template: 'intent',
      slots: {
        request_id: input.requestId,
        data_types: [...input.intent.dataTypes],
        confidence: input.intent.confidence,
        structured: input.intent.structured ? 'TRUE' : 'FALSE',
      },
    },
  ];
  for (const f of input.filters) {
    facts.push({
      template: 'intent_filter',
      slots: {
        request_id: input.requestId,
        field: f.field,
        operator: f.operator,
        value: [...f.value],
      },
    });
  }
  return facts;
}
