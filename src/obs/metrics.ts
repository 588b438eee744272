// Prometheus metrics (prom-client) in a registry of their own, so several brokers in one process
// (tests, benchmarks) never share or double-register series. Label values are bounded: outcomes,
// configured source ids, adapter error classes, the policy's flag names, route templates.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type WalGaugeValues, WalMetrics } from './wal-metrics.ts';

/** `refused`: the request was rejected with a client error (4xx) before any source was read. */
export const REQUEST_OUTCOMES = ['ok', 'denied', 'partial', 'error', 'refused'] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];
export type EnginePhase = 'route' | 'session';

const LATENCY = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const FAST = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1];

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC) with the `nautilus_` prefix (default true). */
  readonly defaultMetrics?: boolean;
}

export class NautilusMetrics {
  readonly registry = new Registry();
  private workingMemory: (() => number) | null = null;
  private openSessions: (() => number) | null = null;
  private walStatus: (() => WalGaugeValues | null) | null = null;
  private walMetrics: WalMetrics | null = null;

  readonly requests: Counter<'outcome'>;
  readonly requestSeconds: Histogram<'outcome'>;
  readonly engineSeconds: Histogram<'phase'>;
  readonly engineLockWait: Histogram;
  readonly sessionLockWait: Histogram;
  readonly adapterSeconds: Histogram<'source'>;
  readonly adapterErrors: Counter<'source' | 'error_class'>;
  readonly exposureFlags: Counter<'flag'>;
  readonly storeSave: Histogram<'result'>;
  readonly auditAppend: Histogram<'result'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'nautilus_requests_total',
      help: 'Broker requests by outcome (ok, denied, partial, error, refused)',
      labelNames: ['outcome'],
      registers,
    });
    // Every outcome from the start, so rate() and alerts see 0 rather than no series.
    for (const outcome of REQUEST_OUTCOMES) this.requests.inc({ outcome }, 0);
    this.requestSeconds = new Histogram({
      name: 'nautilus_request_duration_seconds',
      help: 'Broker request time, from arrival to the durable audit line',
      labelNames: ['outcome'],
      buckets: LATENCY,
      registers,
    });
    this.engineSeconds = new Histogram({
      name: 'nautilus_engine_evaluation_seconds',
      help: 'Rules engine runs: route (engine phase 1) and session (phase 2, exposure update)',
      labelNames: ['phase'],
      buckets: FAST,
      registers,
    });
    this.engineLockWait = new Histogram({
      name: 'nautilus_engine_lock_wait_seconds',
      help: 'Wait for the engine before a phase; 0 by construction (phases run synchronously on the event loop); see nautilus_session_lock_wait_seconds',
      buckets: FAST,
      registers,
    });
    this.sessionLockWait = new Histogram({
      name: 'nautilus_session_lock_wait_seconds',
      help: 'Wait for a session lock (requests on one session run one at a time)',
      buckets: LATENCY,
      registers,
    });
    this.adapterSeconds = new Histogram({
      name: 'nautilus_adapter_query_seconds',
      help: 'Scoped source queries, successful or not, by source',
      labelNames: ['source'],
      buckets: LATENCY,
      registers,
    });
    this.adapterErrors = new Counter({
      name: 'nautilus_adapter_errors_total',
      help: 'Failed source queries by source and error class',
      labelNames: ['source', 'error_class'],
      registers,
    });
    this.exposureFlags = new Counter({
      name: 'nautilus_session_exposure_flags_total',
      help: 'Exposure flags raised by the policy in sessions, by flag',
      labelNames: ['flag'],
      registers,
    });
    this.storeSave = new Histogram({
      name: 'nautilus_store_save_seconds',
      help: 'Session store writes',
      labelNames: ['result'],
      buckets: LATENCY,
      registers,
    });
    this.auditAppend = new Histogram({
      name: 'nautilus_audit_append_seconds',
      help: 'Audit appends until the line is durable (write + fsync, shared by a group commit)',
      labelNames: ['result'],
      buckets: LATENCY,
      registers,
    });
    this.httpRequests = new Counter({
      name: 'nautilus_http_requests_total',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    const wm = this;
    new Gauge({
      name: 'nautilus_working_memory_facts',
      help: 'Facts in the rules engine working memory (resident sources and session exposures)',
      registers,
      collect() {
        if (wm.workingMemory !== null) this.set(wm.workingMemory());
      },
    });
    new Gauge({
      name: 'nautilus_sessions_open',
      help: 'Open sessions held in working memory by this process',
      registers,
      collect() {
        if (wm.openSessions !== null) this.set(wm.openSessions());
      },
    });
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'nautilus_' });
  }

  /** Where the gauges read their values at scrape time (the broker, once it is up). */
  bindGauges(
    sources: {
      workingMemoryFacts(): number;
      openSessions(): number;
      walStatus?(): WalGaugeValues | null;
    } | null,
  ): void {
    this.workingMemory = sources === null ? null : () => sources.workingMemoryFacts();
    this.openSessions = sources === null ? null : () => sources.openSessions();
    const wal = sources?.walStatus;
    this.walStatus = wal === undefined ? null : () => wal.call(sources);
    this.walMetrics?.bind(this.walStatus);
  }

  /**
   * The WAL's series, registered on first use (a broker with the WAL starting): without the WAL
   * none of them is exported.
   */
  enableWal(): WalMetrics {
    if (this.walMetrics === null) {
      this.walMetrics = new WalMetrics(this.registry);
      this.walMetrics.bind(this.walStatus);
    }
    return this.walMetrics;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
