// Engine phase 1 of the request pipeline: assert one request's transient facts, run the policy,
// routing and transformation modules, read the decisions back, and retract everything the
// request added that is not session state. The engine is synchronous, so one call is atomic
// with respect to every other request on the event loop: no other request's facts can be in
// working memory while it runs.
import { type Engine, type Fact, fromValue, type JsValue } from '../engine/index.ts';
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

const FOCUS = ['policy', 'routing', 'transformation'] as const;

export class PolicyEngine {
  private readonly sourceIds: ReadonlySet<string>;

  constructor(
    readonly engine: Engine,
    readonly sources: readonly PolicySource[],
    params: PolicyParams,
  ) {
    this.sourceIds = new Set(sources.map((s) => s.id));
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

  route(input: RoutingInput): RoutingOutcome {
    const e = this.engine;
    const first = e.nextId;
    const counts: Record<string, number> = {};
    const assert = (template: string, slots: Record<string, JsValue>): void => {
      e.assertFact(template, slots);
      counts[template] = (counts[template] ?? 0) + 1;
    };
    let fired: readonly { rule: string; module: string }[] = [];
    try {
      assert('request', {
        request_id: input.requestId,
        session_id: input.sessionId ?? '',
        agent_id: input.agent.id,
        purpose: input.purpose ?? 'nil',
        now: input.now,
      });
      assert('agent', {
        id: input.agent.id,
        clearance: input.agent.clearance,
        compartments: [...input.agent.compartments],
        registered: input.agent.registered ? 'TRUE' : 'FALSE',
      });
      assert('intent', {
        request_id: input.requestId,
        data_types: [...input.intent.dataTypes],
        confidence: input.intent.confidence,
        structured: input.intent.structured ? 'TRUE' : 'FALSE',
      });
      for (const f of input.filters) {
        assert('intent_filter', {
          request_id: input.requestId,
          field: f.field,
          operator: f.operator,
          value: [...f.value],
        });
      }
      e.focus(...FOCUS);
      const run = e.run();
      if (run.stopped !== 'empty') {
        throw new NautilusError(
          'NAU_POLICY_RUNAWAY',
          `the policy did not settle: ${run.stopped === 'limit' ? 'the rule firing limit was reached' : 'a rule called (halt)'}`,
          500,
        );
      }
      fired = run.fired;
      return this.readOutcome(input.requestId, first, fired, counts);
    } finally {
      this.retractTransient(first);
    }
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
