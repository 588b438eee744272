// The Broker: one call that plans, routes, enforces, fetches, attests and audits
// (DESIGN.md, "Request pipeline"). A request carrying a session_id runs under its session's
// lock, is judged against everything the session has seen, and adds its exposures to it.
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
import type { Fact } from '../engine/index.ts';
import { NautilusError } from '../errors.ts';
import { failpoint } from '../failpoint.ts';
import { type OpenSession, SessionManager } from '../session/manager.ts';
import { type Exposure, requestOps } from '../session/ops.ts';
import {
  createSessionStore,
  type SessionStore,
  withMemoryFallback,
} from '../session/store/index.ts';
import type { WalFs, WalStats } from '../wal/index.ts';
import {
  type ExposureEntry,
  type ExposureFlag,
  type ExposureSummary,
  exposureEntries,
  exposureFlags,
  exposureSummary,
} from './exposure-summary.ts';
import { fetchAll, type SourceData } from './fetch.ts';
import { type Intent, IntentAnalyzer, type StructuredQuery } from './intent/index.ts';
import {
  type BrokerObserver,
  notify,
  ObservedSessionStore,
  observedSessionEngine,
  observedWalHooks,
  type SourceObservation,
} from './observer.ts';
import type { RoutingOutcome, SourceVerdict } from './policy-engine.ts';
import { type LoadedPolicy, loadPolicy } from './policy-setup.ts';
import { AgentRegistry, type ResolvedAgent, SourceRegistry } from './registry/index.ts';
import {
  callerRequestId,
  checkAgentId,
  checkContext,
  checkSessionId,
  type RequestContext,
} from './request-input.ts';
import { planScope } from './scope-plan.ts';
import { PolicySessionEngine } from './session-engine.ts';
import { sourceSpec } from './source-specs.ts';
import { WalLink, type WalRecovery } from './wal-link.ts';

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
  /** Metrics and logging hook (docs/server.md, "Metrics"); called synchronously, must not throw. */
  readonly observer?: BrokerObserver;
  /** With the WAL: recovery cuts at the first bad record instead of refusing (operator flag). */
  readonly walRepair?: 'truncate-at-first-bad';
  /**
   * With the WAL: its fdatasync failed. Session requests are refused with NAU_WAL_FAILED from
   * then on; a server should exit non-zero (default: a warning).
   */
  readonly onWalFailed?: (error: NautilusError) => void;
  /** With the WAL: the file system it runs on (default: the real one; tests inject FaultFs). */
  readonly walFs?: WalFs;
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
  /** Per queried source, the fields of caller filters it could not apply (the column is not in
   *  its allowed_columns), so its rows are not narrowed by them. */
  readonly filters_not_applied: Readonly<Record<string, readonly string[]>>;
  readonly routing_trace: readonly string[];
  /** The session's cumulative exposure after this request (null without a session). */
  readonly exposure_summary: ExposureSummary | null;
  readonly attestation_token: string | null;
  readonly duration_ms: number;
}

interface Timings {
  analysis: number;
  engine: number;
  fetch: number;
  attest: number;
  /** For the observer: per-source query times, flags raised, the outcome once known. */
  sources: SourceObservation[];
  /** The session's flags before the request (null: no session or no observer). */
  flagsBefore: readonly string[] | null;
  /** WAL mode: the session's facts before routing, put back when the WAL append fails (the
   *  fact objects: a retracted fact keeps its values, so they are turned into ops only then). */
  sessionBefore: readonly Fact[] | null;
  newFlags: string[];
  outcome: AuditOutcome | null;
}

/** Everything a broker is built from (see `fromConfig`). */
interface BrokerParts {
  readonly config: LoadedConfig;
  readonly policy: LoadedPolicy;
  readonly sources: SourceRegistry;
  readonly agents: AgentRegistry;
  readonly analyzer: IntentAnalyzer;
  readonly adapters: ReadonlyMap<string, Adapter>;
  readonly attestor: Attestor | null;
  readonly audit: AuditLog;
  readonly sessions: SessionManager;
  readonly sessionEngine: PolicySessionEngine;
  readonly clock: () => Date;
  readonly warn: (message: string) => void;
  readonly observer: BrokerObserver | null;
  readonly wal: WalLink | null;
  readonly walRecovery: WalRecovery | null;
}

export class Broker {
  private closed = false;
  readonly config: LoadedConfig;
  private readonly policy: LoadedPolicy;
  private readonly sources: SourceRegistry;
  private readonly agents: AgentRegistry;
  private readonly analyzer: IntentAnalyzer;
  private readonly adapters: ReadonlyMap<string, Adapter>;
  private readonly attestor: Attestor | null;
  private readonly audit: AuditLog;
  private readonly sessions: SessionManager;
  private readonly sessionEngine: PolicySessionEngine;
  private readonly clock: () => Date;
  private readonly warn: (message: string) => void;
  private readonly observer: BrokerObserver | null;
  private readonly expiryTimer: NodeJS.Timeout;
  private readonly wal: WalLink | null;
  /** What WAL recovery did at startup (null without the WAL). */
  readonly walRecovery: WalRecovery | null;

  private constructor(p: BrokerParts) {
    this.wal = p.wal;
    this.walRecovery = p.walRecovery;
    this.config = p.config;
    this.policy = p.policy;
    this.sources = p.sources;
    this.agents = p.agents;
    this.analyzer = p.analyzer;
    this.adapters = p.adapters;
    this.attestor = p.attestor;
    this.audit = p.audit;
    this.sessions = p.sessions;
    this.sessionEngine = p.sessionEngine;
    this.clock = p.clock;
    this.warn = p.warn;
    this.observer = p.observer;
    // Idle sessions end after their TTL even when nobody asks for them again.
    const every = Math.min(60_000, Math.max(1000, (p.config.session_store.ttl_seconds * 1000) / 4));
    this.expiryTimer = setInterval(() => {
      this.sessions.expireIdle().catch((x: unknown) => this.warn(`session expiry: ${describe(x)}`));
    }, every);
    this.expiryTimer.unref();
  }

  /** Loads `nautilus.yaml`, builds the policy, opens the audit log and the attestation key. */
  static async fromConfig(path: string, options: BrokerOptions = {}): Promise<Broker> {
    const clock = options.clock ?? (() => new Date());
    const warn = options.warn ?? ((m: string) => process.stderr.write(`nautilus: ${m}\n`));
    let config = loadConfig(path, options.env === undefined ? {} : { env: options.env });
    if (options.overrides !== undefined) config = applyOverrides(config, options.overrides);
    // WAL replay runs the policy at each record's time; otherwise the engine reads the broker's.
    let replayAt: Date | null = null;
    const policy = loadPolicy(config, () => replayAt ?? clock());
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
    const sessionEngine = new PolicySessionEngine(policy.policy);
    const observer = options.observer ?? null;
    const store = openStore(config, warn);
    let wal: WalLink | null = null;
    const sessions = new SessionManager({
      onSaved: (sessionId, walLsn) => wal?.saved(sessionId, walLsn),
      store: observer === null ? store : new ObservedSessionStore(store, observer, warn),
      engine:
        observer === null ? sessionEngine : observedSessionEngine(sessionEngine, observer, warn),
      ttlSeconds: config.session_store.ttl_seconds,
      mode: config.persistence.mode,
      clock,
      warn,
      onClosed: async (sessionId, reason, facts) => {
        await audit.append({
          kind: 'session_closed',
          ts: clock().toISOString(),
          session_id: sessionId,
          reason,
          summary: { ...exposureSummary(facts) },
        });
      },
    });
    // Step 0: every open session is back in working memory before the broker answers.
    await sessions.start();
    // WAL recovery: what the store missed is replayed before the broker answers.
    let walRecovery: WalRecovery | null = null;
    const p = config.persistence;
    if (p.wal_enabled) {
      try {
        const opened = await WalLink.open(sessions, {
          path: p.wal_path,
          segmentBytes: p.wal_segment_bytes,
          maxBytes: p.wal_max_bytes,
          minFreeBytes: p.wal_min_free_bytes,
          ...(options.walRepair === undefined ? {} : { repair: options.walRepair }),
          ...(options.walFs === undefined ? {} : { fs: options.walFs }),
          checkpoints: store.backend !== 'memory',
          storeBarrier: async () => (await store.durabilityBarrier?.()) ?? true,
          replayingAt: (at) => {
            replayAt = at;
          },
          warn,
          onFailed: options.onWalFailed ?? (() => {}),
          ...(observer === null ? {} : { hooks: observedWalHooks(observer, warn) }),
        });
        wal = opened.link;
        walRecovery = opened.recovery;
        const { tornTailBytes, truncatedBytes } = wal.stats().recovery;
        notify(observer, warn, (o) =>
          o.onWalRecovery?.({ ...opened.recovery, tornTailBytes, truncatedBytes }),
        );
      } catch (x) {
        await sessions.shutdown().catch(() => {});
        await Promise.allSettled([...adapters.values()].map((a) => a.close()));
        await audit.close().catch(() => {});
        throw x;
      }
    }
    return new Broker({
      wal,
      walRecovery,
      config,
      policy,
      sources,
      agents,
      analyzer,
      adapters,
      attestor,
      audit,
      sessions,
      sessionEngine,
      clock,
      warn,
      observer,
    });
  }

  /** A session's state: status, timestamps, every exposure with its request, flags, summary. */
  async session(sessionId: string): Promise<SessionView> {
    const info = await this.sessions.info(checkSessionId(sessionId));
    if (info === null) {
      throw new NautilusError('NAU_SESSION_UNKNOWN', `there is no session ${sessionId}`, 404, {
        session_id: sessionId,
      });
    }
    return {
      session_id: info.sessionId,
      status: info.status,
      created_at: info.createdAt,
      updated_at: info.updatedAt,
      closed_at: info.closedAt,
      exposures: exposureEntries(info.facts),
      flags: exposureFlags(info.facts),
      summary: exposureSummary(info.facts),
    };
  }

  /** Ends a session: its final summary goes to the audit log, its facts leave working memory. */
  async closeSession(sessionId: string): Promise<void> {
    await this.sessions.close(checkSessionId(sessionId));
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

  /** Facts in the engine's working memory (resident and session facts; a metrics gauge). */
  workingMemoryFacts(): number {
    return this.policy.policy.engine.factCount;
  }

  /** Open sessions this process holds in working memory. */
  openSessions(): number {
    return this.sessions.size;
  }

  /** The WAL's counters and positions (null without the WAL; metrics read it at scrape time). */
  walStatus(): BrokerWalStatus | null {
    if (this.wal === null) return null;
    return { ...this.wal.stats(), durableLsn: this.wal.durableLsn };
  }

  /** The JWKS that verifies this broker's attestations (empty when attestation is off). */
  jwks(): Jwks {
    return this.attestor === null ? { keys: [] } : this.attestor.jwks();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.expiryTimer);
    // The WAL's last checkpoint needs the store still open (its durability barrier).
    const closeWal = async () =>
      this.wal?.close().catch((x: unknown) => this.warn(`closing the WAL: ${describe(x)}`));
    await this.sessions
      .shutdown(closeWal)
      .catch((x: unknown) => this.warn(`closing sessions: ${describe(x)}`));
    await closeWal();
    await Promise.allSettled([...this.adapters.values()].map((a) => a.close()));
    await this.audit.close();
  }

  private async handle(
    agentIdIn: string,
    contextIn: RequestContext | undefined,
    analyse: (agent: ResolvedAgent, ctx: RequestContext) => Intent,
  ): Promise<BrokerResponse> {
    const started = performance.now();
    const t: Timings = {
      analysis: 0,
      engine: 0,
      fetch: 0,
      attest: 0,
      sources: [],
      flagsBefore: null,
      sessionBefore: null,
      newFlags: [],
      outcome: null,
    };
    const requestId = callerRequestId(contextIn) ?? randomUUID();
    let agentId = typeof agentIdIn === 'string' ? agentIdIn.slice(0, 128) : '';
    let intent: Intent | null = null;
    let sessionId: string | null = null;
    try {
      if (this.closed) throw new NautilusError('NAU_BROKER_CLOSED', 'the broker is closed', 503);
      agentId = checkAgentId(agentIdIn);
      const ctx = checkContext(contextIn);
      sessionId = ctx.session_id ?? null;
      // A failed WAL takes no more session writes (the writer would refuse the record anyway).
      const walFailed = sessionId === null ? null : (this.wal?.failed ?? null);
      if (walFailed !== null) throw walFailed;
      const agent = this.agents.resolve(
        agentId,
        {
          ...(ctx.clearance === undefined ? {} : { clearance: ctx.clearance }),
          ...(ctx.compartments === undefined ? {} : { compartments: ctx.compartments }),
          ...(ctx.purpose === undefined ? {} : { purpose: ctx.purpose }),
        },
        this.policy.rank,
      );
      const mark = performance.now();
      intent = analyse(agent, ctx);
      t.analysis = performance.now() - mark;

      const analysed = intent;
      const response =
        sessionId === null
          ? await this.routeAndFetch(requestId, agent, analysed, null, t, started)
          : await this.sessions.withSession(sessionId, (s) =>
              this.routeAndFetch(requestId, agent, analysed, s, t, started),
            );
      this.observe(requestId, agentId, sessionId, t, started, null);
      return response;
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
          sessionId,
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
      ).finally(() => this.observe(requestId, agentId, sessionId, t, started, err));
      throw err;
    }
  }

  /** Tells the observer how the request ended (after its audit line, or its failure). */
  private observe(
    requestId: string,
    agentId: string,
    sessionId: string | null,
    t: Timings,
    started: number,
    err: NautilusError | null,
  ): void {
    notify(this.observer, this.warn, (o) =>
      o.onRequest?.({
        requestId,
        agentId,
        sessionId,
        outcome: err === null ? (t.outcome ?? 'ok') : 'error',
        error: err === null ? null : { code: err.code, status: err.status },
        ms: {
          total: performance.now() - started,
          analysis: t.analysis,
          engine: t.engine,
          fetch: t.fetch,
          attest: t.attest,
        },
        sources: t.sources,
        newFlags: t.newFlags,
      }),
    );
  }

  /** Steps 4-10 (the session's lock, when there is one, is held by the caller). */
  private async routeAndFetch(
    requestId: string,
    agent: ResolvedAgent,
    intent: Intent,
    session: OpenSession | null,
    t: Timings,
    started: number,
  ): Promise<BrokerResponse> {
    {
      if (session !== null && (this.observer !== null || this.wal !== null)) {
        const before = this.sessionEngine.live(session.id);
        if (this.wal !== null) t.sessionBefore = before;
        if (this.observer !== null) {
          const flags = before.filter((f) => f.template.name === 'exposure_flag');
          t.flagsBefore = exposureFlags(this.sessionEngine.asOps(flags)).map((f) => f.flag);
        }
      }
      const mark = performance.now();
      const routing = this.policy.policy.route({
        requestId,
        sessionId: session?.id ?? null,
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
      notify(this.observer, this.warn, (o) => o.onEngineRun?.('route', t.engine));
      // Flags the policy raised while routing are session state from now on.
      this.sessionEngine.note(routing.sessionFacts);
      return await this.fetchAndFinish(requestId, agent, intent, routing, session, t, started);
    }
  }

  private async fetchAndFinish(
    requestId: string,
    agent: ResolvedAgent,
    intent: Intent,
    routing: RoutingOutcome,
    session: OpenSession | null,
    t: Timings,
    started: number,
  ): Promise<BrokerResponse> {
    const now = this.clock();
    const sessionId = session?.id ?? null;
    const denied: SourceVerdict[] = [...routing.denied];
    const jobs = [];
    const scopeBySource: Record<string, readonly ScopeConstraint[]> = {};
    const filtersNotApplied: Record<string, readonly string[]> = {};
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
      if (planned.plan.filtersNotApplied.length > 0)
        filtersNotApplied[r.sourceId] = planned.plan.filtersNotApplied;
      jobs.push({
        sourceId: r.sourceId,
        adapter: this.adapters.get(r.sourceId) as Adapter,
        scope: planned.plan.scope,
        timeoutMs: source.timeout_ms,
        maxRows: source.max_rows,
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
      { agentId: agent.id, sessionId, now: this.clock },
      (sourceId, error) =>
        this.warn(`source ${sourceId} failed for request ${requestId}: ${describe(error)}`),
    );
    t.fetch = performance.now() - mark;
    for (const [sourceId, ms] of fetched.durations) {
      const failure = fetched.failed.find((f) => f.source_id === sourceId);
      t.sources.push({ sourceId, ms, errorClass: failure?.error_class ?? null });
    }

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

    // Steps 6-9: the session's exposures (engine phase 2), persisted before anything is signed.
    let exposure: ExposureSummary | null = null;
    if (session !== null) {
      mark = performance.now();
      const ops = requestOps({
        sessionId: session.id,
        requestId,
        agentId: agent.id,
        timestamp: now.getTime() / 1000,
        exposures: queried.map((id) => this.exposureOf(id, data[id] as SourceData, scopeBySource)),
        ...(session.isNew ? { openPurpose: intent.purpose } : {}),
      });
      // Step 7 (WAL mode): the commit point; the store write records the LSN it includes.
      // Flags the routing run raised are applied already; replay needs them before the ops.
      let lsn = 0;
      if (this.wal !== null) {
        const raised = this.sessionEngine.opsOf(session.id, routing.sessionFacts);
        try {
          lsn = await this.wal.append(session.id, requestId, now.getTime(), [...raised, ...ops]);
        } catch (x) {
          // Not durable, so not applied: a refused request leaves no flag behind either.
          if (raised.length > 0)
            this.sessionEngine.restore(session.id, this.sessionEngine.asOps(t.sessionBefore ?? []));
          throw x;
        }
      }
      await session.commit(ops, lsn);
      const facts = this.sessionEngine.facts(session.id);
      exposure = exposureSummary(facts);
      t.engine += performance.now() - mark;
      if (t.flagsBefore !== null) t.newFlags = raisedFlags(t.flagsBefore, exposureFlags(facts));
    }

    mark = performance.now();
    let token: string | null = null;
    let jti: string | undefined;
    if (this.attestor !== null) {
      const signed = await this.attestor.sign({
        request_id: requestId,
        agent_id: agent.id,
        session_id: sessionId,
        sources_queried: queried,
        sources_denied: [...new Set(deniedOut.map((d) => d.source_id))],
        scope_hash: canonicalHash(scopeBySource),
        rule_trace_hash: canonicalHash(routing.ruleTrace),
        response_hash: canonicalHash(data),
        ...(exposure === null ? {} : { exposure_hash: canonicalHash(exposure) }),
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
    t.outcome = outcome;
    const event = this.auditEvent(
      requestId,
      agent.id,
      sessionId,
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
    // Crash tests: the session's ops are stored (queued in async mode), the answer not yet sent.
    if (session !== null) failpoint('before-response');
    return {
      request_id: requestId,
      agent_id: agent.id,
      session_id: sessionId,
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
      filters_not_applied: filtersNotApplied,
      routing_trace: routing.ruleTrace,
      exposure_summary: exposure,
      attestation_token: token,
      duration_ms: round(performance.now() - started),
    };
  }

  /** What reading one source exposed: its data types and level, the fields and rows returned. */
  private exposureOf(
    sourceId: string,
    d: SourceData,
    scope: Record<string, readonly ScopeConstraint[]>,
  ): Exposure {
    const source = this.sources.require(sourceId);
    const fields = new Set<string>();
    for (const r of d.records) for (const k of Object.keys(r)) fields.add(k);
    return {
      sourceId,
      dataTypes: source.data_types,
      classification: source.classification,
      fieldsReturned: [...fields],
      recordCount: d.record_count,
      queryHash: canonicalHash({ source: sourceId, scope: scope[sourceId] ?? [] }),
    };
  }

  /** The audit line is durable before the caller sees anything: a failed append fails the
   *  request (and the log refuses further appends, so every later request fails too). */
  private async appendAudit(event: AuditEvent): Promise<void> {
    const started = performance.now();
    let ok = false;
    try {
      await this.audit.append(event);
      ok = true;
    } finally {
      const ms = performance.now() - started;
      notify(this.observer, this.warn, (o) => o.onAuditAppend?.(ms, ok));
    }
  }

  private auditEvent(
    requestId: string,
    agentId: string,
    sessionId: string | null,
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
      session_id: sessionId,
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

/** The configured store; with `on_failure: fallback_memory` a store that cannot even be built
 *  (e.g. an unusable path) is replaced by the non-durable memory store, loudly. */
function openStore(config: LoadedConfig, warn: (m: string) => void): SessionStore {
  // With the WAL as the commit point, SQLite need not fsync each commit: the WAL deletes records
  // only after the store's durability barrier (docs/wal.md, "The session store").
  const store = createSessionStore(config.session_store, {
    dataDir: config.data_dir,
    ...(config.persistence.wal_enabled ? { sqlite: { synchronous: 'NORMAL' as const } } : {}),
  });
  if (config.session_store.on_failure !== 'fallback_memory') return store;
  return withMemoryFallback(store, (why) =>
    warn(`session store unavailable (${why}); FALLING BACK TO MEMORY: sessions are not durable`),
  );
}

export interface BrokerWalStatus extends WalStats {
  /** Every WAL record at or below this LSN is in the session store (see WalLink.durableLsn). */
  readonly durableLsn: number;
}

export interface SessionView {
  readonly session_id: string;
  readonly status: 'open' | 'closed';
  readonly created_at: string;
  readonly updated_at: string;
  readonly closed_at: string | null;
  readonly exposures: readonly ExposureEntry[];
  readonly flags: readonly ExposureFlag[];
  readonly summary: ExposureSummary;
}

/** Flags present after a request that were not there before it (a flag may repeat per request). */
function raisedFlags(before: readonly string[], after: readonly ExposureFlag[]): string[] {
  const left = new Map<string, number>();
  for (const f of before) left.set(f, (left.get(f) ?? 0) + 1);
  const raised: string[] = [];
  for (const { flag } of after) {
    const n = left.get(flag) ?? 0;
    if (n > 0) left.set(flag, n - 1);
    else raised.push(flag);
  }
  return raised;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The safe message only: a driver's raw error (kept as `cause`) may carry DSNs or SQL. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'non-error thrown';
}
