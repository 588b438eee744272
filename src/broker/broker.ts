// The Broker: one call that plans, routes, enforces, fetches, attests and audits
// (DESIGN.md, "Request pipeline"). Session tracking (steps 3, 6-9) arrives with the sessions
// layer; until then a request carrying a session_id is refused with NAU_SESSIONS_UNAVAILABLE.
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { createAdapter } from '../adapters/index.ts';
import type { Adapter, ScopeConstraint } from '../adapters/types.ts';
import { Attestor, canonicalHash, type Jwks } from '../attest/index.ts';
import { type AuditEvent, AuditLog, type AuditOutcome } from '../audit/index.ts';
import {
  applyOverrides,
  type ConfigOverrides,
  type LoadedConfig,
  loadConfig,
} from '../config/index.ts';
import { NautilusError } from '../errors.ts';
import { fetchAll, type SourceData } from './fetch.ts';
import { type Intent, IntentAnalyzer, type StructuredQuery } from './intent/index.ts';
import type { RoutingOutcome, SourceVerdict } from './policy-engine.ts';
import { type LoadedPolicy, loadPolicy } from './policy-setup.ts';
import { AgentRegistry, type ResolvedAgent, SourceRegistry } from './registry/index.ts';
import { checkAgentId, checkContext, type RequestContext } from './request-input.ts';
import { planScope } from './scope-plan.ts';
import { sourceSpec } from './source-specs.ts';

export interface BrokerOptions {
  /** The broker's clock (default: wall clock). Everything time-dependent reads it. */
  readonly clock?: () => Date;
  /** Builds the adapter of a configured source (default: the built-in adapters). */
  readonly adapterFactory?: (spec: ReturnType<typeof sourceSpec>) => Adapter;
  /** Where operational warnings go (default: stderr). */
  readonly warn?: (message: string) => void;
  /** Environment for `${VAR}` interpolation (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly overrides?: ConfigOverrides;
  /** fsync the audit log (default true; false only for throwaway test logs). */
  readonly auditFsync?: boolean;
}

export interface BrokerResponse {
  readonly request_id: string;
  readonly agent_id: string;
  readonly session_id: string | null;
  readonly intent: {
    readonly data_types: readonly string[];
    readonly purpose: string | null;
    readonly confidence: number;
    readonly structured: boolean;
    readonly filters: Intent['filters'];
  };
  readonly data: Readonly<Record<string, SourceData>>;
  readonly sources_queried: readonly string[];
  readonly sources_denied: ReadonlyArray<{ source_id: string; reason: string; rule: string }>;
  readonly sources_skipped: ReadonlyArray<{ source_id: string; reason: string }>;
  readonly sources_failed: ReadonlyArray<{ source_id: string; error_class: string }>;
  readonly scope_restrictions: Readonly<Record<string, readonly ScopeConstraint[]>>;
  readonly routing_trace: readonly string[];
  readonly exposure_summary: null;
  readonly attestation_token: string | null;
  readonly duration_ms: number;
}

interface Timings {
  analysis: number;
  engine: number;
  fetch: number;
  attest: number;
}

export class Broker {
  private closed = false;

  private constructor(
    readonly config: LoadedConfig,
    private readonly policy: LoadedPolicy,
    private readonly sources: SourceRegistry,
    private readonly agents: AgentRegistry,
    private readonly analyzer: IntentAnalyzer,
    private readonly adapters: ReadonlyMap<string, Adapter>,
    private readonly attestor: Attestor | null,
    private readonly audit: AuditLog,
    private readonly clock: () => Date,
    private readonly warn: (message: string) => void,
  ) {}

  /** Loads `nautilus.yaml`, builds the policy, opens the audit log and the attestation key. */
  static async fromConfig(path: string, options: BrokerOptions = {}): Promise<Broker> {
    const clock = options.clock ?? (() => new Date());
    const warn = options.warn ?? ((m: string) => process.stderr.write(`nautilus: ${m}\n`));
    let config = loadConfig(path, options.env === undefined ? {} : { env: options.env });
    if (options.overrides !== undefined) config = applyOverrides(config, options.overrides);
    const policy = loadPolicy(config, clock);
    const sources = new SourceRegistry(config.sources);
    const agents = new AgentRegistry(config.agents);
    const a = config.analysis;
    const analyzer = new IntentAnalyzer({
      sources: config.sources.map((s) => ({ id: s.id, dataTypes: s.data_types })),
      keywordMap: a.keyword_map,
      purposeMap: a.purpose_map,
      defaultPurpose: a.default_purpose,
      patterns: a.patterns.map((p) => ({ ...p })),
      confidenceThreshold: a.confidence_threshold,
      clock,
    });
    const factory = options.adapterFactory ?? createAdapter;
    const adapters = new Map(config.sources.map((s) => [s.id, factory(sourceSpec(s))]));
    const attestor = config.attestation.enabled
      ? await Attestor.open({
          // A generated key lives in data_dir under the name the config resolved.
          ...(config.attestation.generate_key
            ? { dataDir: dirname(config.attestation.private_key_path) }
            : { privateKeyPath: config.attestation.private_key_path }),
          issuer: config.attestation.issuer,
          now: clock,
        })
      : null;
    const audit = await AuditLog.open(config.audit.path, {
      fsync: options.auditFsync ?? true,
      now: clock,
      warn,
    });
    return new Broker(
      config,
      policy,
      sources,
      agents,
      analyzer,
      adapters,
      attestor,
      audit,
      clock,
      warn,
    );
  }

  /** A natural-language request: analysed, routed, fetched, attested, audited. */
  async request(
    agentId: string,
    intent: string,
    context?: RequestContext,
  ): Promise<BrokerResponse> {
    return this.handle(agentId, context, (agent, ctx) =>
      this.analyzer.analyze(intent, { purpose: ctx.purpose ?? agent.purpose }),
    );
  }

  /** A structured query: no analysis, the caller names data types, filters and purpose. */
  async query(
    agentId: string,
    query: StructuredQuery,
    context?: RequestContext,
  ): Promise<BrokerResponse> {
    return this.handle(agentId, context, (agent, ctx) =>
      this.analyzer.structured(query, { purpose: ctx.purpose ?? agent.purpose }),
    );
  }

  /** The JWKS that verifies this broker's attestations (empty when attestation is off). */
  jwks(): Jwks {
    return this.attestor === null ? { keys: [] } : this.attestor.jwks();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.adapters.values()].map((a) => a.close()));
    await this.audit.close();
  }

  private async handle(
    agentIdIn: string,
    contextIn: RequestContext | undefined,
    analyse: (agent: ResolvedAgent, ctx: RequestContext) => Intent,
  ): Promise<BrokerResponse> {
    const started = performance.now();
    const t: Timings = { analysis: 0, engine: 0, fetch: 0, attest: 0 };
    const requestId =
      typeof contextIn?.request_id === 'string' ? contextIn.request_id : randomUUID();
    let agentId = typeof agentIdIn === 'string' ? agentIdIn.slice(0, 128) : '';
    let intent: Intent | null = null;
    try {
      if (this.closed) throw new NautilusError('NAU_BROKER_CLOSED', 'the broker is closed', 503);
      agentId = checkAgentId(agentIdIn);
      const ctx = checkContext(contextIn);
      if (ctx.session_id !== undefined) {
        throw new NautilusError(
          'NAU_SESSIONS_UNAVAILABLE',
          'session tracking is not available in this version: send the request without session_id',
          501,
          { field: 'context.session_id' },
        );
      }
      const agent = this.agents.resolve(
        agentId,
        {
          ...(ctx.clearance === undefined ? {} : { clearance: ctx.clearance }),
          ...(ctx.compartments === undefined ? {} : { compartments: ctx.compartments }),
          ...(ctx.purpose === undefined ? {} : { purpose: ctx.purpose }),
        },
        this.policy.rank,
      );
      let mark = performance.now();
      intent = analyse(agent, ctx);
      t.analysis = performance.now() - mark;

      mark = performance.now();
      const routing = this.policy.policy.route({
        requestId,
        sessionId: null,
        agent: {
          id: agent.id,
          clearance: agent.clearance,
          compartments: agent.compartments,
          registered: agent.registered,
        },
        purpose: intent.purpose,
        now: this.clock().getTime() / 1000,
        intent: {
          dataTypes: intent.dataTypes,
          confidence: intent.confidence,
          structured: intent.structured,
        },
        filters: intent.filters.map((f) => ({
          field: f.field,
          operator: f.operator,
          value: f.value === null ? [] : (Array.isArray(f.value) ? f.value : [f.value]).map(String),
        })),
      });
      t.engine = performance.now() - mark;

      return await this.fetchAndFinish(requestId, agent, intent, routing, t, started);
    } catch (x) {
      const err =
        x instanceof NautilusError
          ? x
          : new NautilusError('NAU_INTERNAL', 'internal error while handling the request', 500, {
              cause: x,
            });
      await this.appendAudit(
        this.auditEvent(
          requestId,
          agentId,
          intent,
          null,
          [],
          [],
          [],
          'error',
          t,
          started,
          err.code,
        ),
      );
      throw err;
    }
  }

  private async fetchAndFinish(
    requestId: string,
    agent: ResolvedAgent,
    intent: Intent,
    routing: RoutingOutcome,
    t: Timings,
    started: number,
  ): Promise<BrokerResponse> {
    const now = this.clock();
    const denied: SourceVerdict[] = [...routing.denied];
    const jobs = [];
    const scopeBySource: Record<string, readonly ScopeConstraint[]> = {};
    for (const r of routing.routed) {
      const source = this.sources.require(r.sourceId);
      const planned = planScope(
        { id: source.id, type: source.type, allowedColumns: source.allowed_columns },
        routing.scope.get(r.sourceId) ?? [],
        intent.filters,
        now,
      );
      if (!planned.ok) {
        denied.push(planned.denial);
        continue;
      }
      scopeBySource[r.sourceId] = planned.plan.scope;
      jobs.push({
        sourceId: r.sourceId,
        adapter: this.adapters.get(r.sourceId) as Adapter,
        scope: planned.plan.scope,
        timeoutMs: source.timeout_ms,
      });
    }
    let mark = performance.now();
    const fetched = await fetchAll(
      jobs,
      {
        requestId,
        dataTypes: intent.dataTypes,
        purpose: intent.purpose,
        ...(intent.raw === '' ? {} : { raw: intent.raw }),
      },
      { agentId: agent.id, sessionId: null, now: this.clock },
      (sourceId, error) =>
        this.warn(`source ${sourceId} failed for request ${requestId}: ${describe(error)}`),
    );
    t.fetch = performance.now() - mark;

    const data: Record<string, SourceData> = {};
    const queried: string[] = [];
    for (const j of jobs) {
      const d = fetched.data.get(j.sourceId);
      if (d === undefined) continue;
      data[j.sourceId] = d;
      queried.push(j.sourceId);
    }
    const deniedOut = denied.map((d) => ({
      source_id: d.sourceId,
      reason: d.reason,
      rule: d.rule,
    }));
    const skipped = routing.skipped.map((s) => ({ source_id: s.sourceId, reason: s.reason }));

    mark = performance.now();
    let token: string | null = null;
    let jti: string | undefined;
    if (this.attestor !== null) {
      const signed = await this.attestor.sign({
        request_id: requestId,
        agent_id: agent.id,
        session_id: null,
        sources_queried: queried,
        sources_denied: [...new Set(deniedOut.map((d) => d.source_id))],
        scope_hash: canonicalHash(scopeBySource),
        rule_trace_hash: canonicalHash(routing.ruleTrace),
        response_hash: canonicalHash(data),
      });
      token = signed.token;
      jti = signed.jti;
    }
    t.attest = performance.now() - mark;

    const outcome: AuditOutcome =
      fetched.failed.length > 0
        ? queried.length > 0
          ? 'partial'
          : 'error'
        : queried.length === 0 && deniedOut.length > 0
          ? 'denied'
          : 'ok';
    const event = this.auditEvent(
      requestId,
      agent.id,
      intent,
      routing,
      queried,
      deniedOut,
      fetched.failed,
      outcome,
      t,
      started,
      undefined,
      scopeBySource,
      jti,
    );
    await this.appendAudit(event);
    return {
      request_id: requestId,
      agent_id: agent.id,
      session_id: null,
      intent: {
        data_types: intent.dataTypes,
        purpose: intent.purpose,
        confidence: intent.confidence,
        structured: intent.structured,
        filters: intent.filters,
      },
      data,
      sources_queried: queried,
      sources_denied: deniedOut,
      sources_skipped: skipped,
      sources_failed: fetched.failed,
      scope_restrictions: scopeBySource,
      routing_trace: routing.ruleTrace,
      exposure_summary: null,
      attestation_token: token,
      duration_ms: round(performance.now() - started),
    };
  }

  /** The audit line is durable before the caller sees anything: a failed append fails the
   *  request (and the log refuses further appends, so every later request fails too). */
  private async appendAudit(event: AuditEvent): Promise<void> {
    await this.audit.append(event);
  }

  private auditEvent(
    requestId: string,
    agentId: string,
    intent: Intent | null,
    routing: RoutingOutcome | null,
    queried: readonly string[],
    denied: ReadonlyArray<{ source_id: string; reason: string; rule: string }>,
    failed: ReadonlyArray<{ source_id: string; error_class: string }>,
    outcome: AuditOutcome,
    t: Timings,
    started: number,
    errorCode?: string,
    scope: Record<string, readonly ScopeConstraint[]> = {},
    jti?: string,
  ): AuditEvent {
    const auditStart = performance.now();
    const event = {
      kind: 'request' as const,
      ts: this.clock().toISOString(),
      request_id: requestId,
      agent_id: agentId,
      session_id: null,
      intent:
        intent === null
          ? null
          : {
              data_types: intent.dataTypes,
              purpose: intent.purpose,
              filters: intent.filters.length,
              confidence: intent.confidence,
              structured: intent.structured,
            },
      facts_asserted: routing?.factsAsserted ?? {},
      rule_trace: routing?.ruleTrace ?? [],
      sources_queried: queried,
      sources_denied: denied,
      sources_skipped: routing?.skipped.map((s) => s.sourceId) ?? [],
      sources_failed: failed,
      scope_hash: canonicalHash(scope),
      outcome,
      ...(errorCode === undefined ? {} : { error_code: errorCode }),
      ...(jti === undefined ? {} : { attestation_jti: jti }),
    };
    return {
      ...event,
      durations_ms: {
        analysis: round(t.analysis),
        engine: round(t.engine),
        fetch: round(t.fetch),
        attest: round(t.attest),
        audit: round(performance.now() - auditStart),
        total: round(performance.now() - started),
      },
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The safe message only: a driver's raw error (kept as `cause`) may carry DSNs or SQL. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'non-error thrown';
}
