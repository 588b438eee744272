// The broker's observation hook (metrics, logs): what happened to each request, how long the
// engine, the session store, the session locks and the audit log took. Observers are called
// synchronously and must not throw; the broker swallows (and reports) an observer's error, so
// instrumentation can never fail a request. Without an observer nothing is wrapped or timed.
import type { AuditOutcome } from '../audit/index.ts';
import type { SessionEngine } from '../session/manager.ts';
import type { SessionOp } from '../session/ops.ts';
import type {
  SaveRequest,
  SessionLockRelease,
  SessionRecord,
  SessionStore,
  SessionStoreBackend,
  StoreHealth,
} from '../session/store/index.ts';
import type { WalBatchEvent, WalHooks, WalRejectReason } from '../wal/index.ts';
import type { WalRecovery } from './wal-link.ts';

/** One source's query within a request. */
export interface SourceObservation {
  readonly sourceId: string;
  readonly ms: number;
  /** The adapter error class when the query failed, else null. */
  readonly errorClass: string | null;
}

/** A finished request (answered or refused); all times in milliseconds. */
export interface RequestObservation {
  readonly requestId: string;
  readonly agentId: string;
  readonly sessionId: string | null;
  readonly outcome: AuditOutcome;
  /** For a refused or failed request: its NAU_* code and HTTP status. */
  readonly error: { readonly code: string; readonly status: number } | null;
  readonly ms: {
    readonly total: number;
    readonly analysis: number;
    readonly engine: number;
    readonly fetch: number;
    readonly attest: number;
  };
  readonly sources: readonly SourceObservation[];
  /** Exposure flags this request raised in its session. */
  readonly newFlags: readonly string[];
}

export interface BrokerObserver {
  onRequest?(o: RequestObservation): void;
  /** An engine run: phase 1 (routing) of a request, or phase 2 (session ops applied). */
  onEngineRun?(phase: 'route' | 'session', ms: number): void;
  onStoreSave?(ms: number, ok: boolean): void;
  /** Time an operation waited for a session's lock (requests, reads, closes, expiry). */
  onSessionLockWait?(ms: number): void;
  onAuditAppend?(ms: number, ok: boolean): void;
  /** The WAL was opened and replayed at startup (persistence.wal_enabled). */
  onWalRecovery?(r: WalRecoveryObservation): void;
  /** A group commit made durable: its records and bytes, fdatasync time, per-record waits. */
  onWalBatch?(b: WalBatchEvent): void;
  /** Records the WAL refused, and why (disk full, size limit, failed, ...). */
  onWalRejected?(r: { readonly reason: WalRejectReason; readonly records: number }): void;
  onWalCheckpoint?(c: {
    readonly segmentsDeleted: number;
    readonly bytesFreed: number;
    readonly seconds: number;
  }): void;
}

/** What WAL recovery did at startup; bytes cut from the log's tail or by an operator repair. */
export interface WalRecoveryObservation extends WalRecovery {
  readonly tornTailBytes: number;
  readonly truncatedBytes: number;
}

/** Calls an observer method, never letting it throw into the pipeline. */
export function notify(
  observer: BrokerObserver | null,
  warn: (m: string) => void,
  call: (o: BrokerObserver) => void,
): void {
  if (observer === null) return;
  try {
    call(observer);
  } catch (x) {
    warn(`observer failed: ${x instanceof Error ? x.message : 'non-error thrown'}`);
  }
}

/** The WAL writer's hooks, forwarded to the observer (the writer never lets a hook throw). */
export function observedWalHooks(
  observer: BrokerObserver,
  warn: (m: string) => void,
): Pick<WalHooks, 'onBatch' | 'onRejected' | 'onCheckpoint'> {
  return {
    onBatch: (b) => notify(observer, warn, (o) => o.onWalBatch?.(b)),
    onRejected: (r) =>
      notify(observer, warn, (o) => o.onWalRejected?.({ reason: r.reason, records: r.records })),
    onCheckpoint: (c) =>
      notify(observer, warn, (o) =>
        o.onWalCheckpoint?.({
          segmentsDeleted: c.deleted.length,
          bytesFreed: c.bytesFreed,
          seconds: c.seconds,
        }),
      ),
  };
}

/** The session engine with phase-2 runs timed. */
export function observedSessionEngine(
  engine: SessionEngine,
  observer: BrokerObserver,
  warn: (m: string) => void,
): SessionEngine {
  return {
    apply(ops: readonly SessionOp[]) {
      const started = performance.now();
      const result = engine.apply(ops);
      const ms = performance.now() - started;
      notify(observer, warn, (o) => o.onEngineRun?.('session', ms));
      return result;
    },
    facts: (sessionId) => engine.facts(sessionId),
    rows: (sessionId) => engine.rows(sessionId),
    drop: (sessionId) => engine.drop(sessionId),
  };
}

/** A session store whose writes and lock waits are timed. */
export class ObservedSessionStore implements SessionStore {
  constructor(
    private readonly inner: SessionStore,
    private readonly observer: BrokerObserver,
    private readonly warn: (m: string) => void,
  ) {}

  get backend(): SessionStoreBackend {
    return this.inner.backend;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  load(sessionId: string): Promise<SessionRecord | null> {
    return this.inner.load(sessionId);
  }

  loadAllOpen(): Promise<SessionRecord[]> {
    return this.inner.loadAllOpen();
  }

  async save(req: SaveRequest): Promise<SessionRecord> {
    const started = performance.now();
    let ok = false;
    try {
      const saved = await this.inner.save(req);
      ok = true;
      return saved;
    } finally {
      const ms = performance.now() - started;
      notify(this.observer, this.warn, (o) => o.onStoreSave?.(ms, ok));
    }
  }

  async lockSession(sessionId: string): Promise<SessionLockRelease> {
    const started = performance.now();
    const release = await this.inner.lockSession(sessionId);
    const ms = performance.now() - started;
    notify(this.observer, this.warn, (o) => o.onSessionLockWait?.(ms));
    return release;
  }

  listExpired(before: Date): Promise<string[]> {
    return this.inner.listExpired(before);
  }

  async durabilityBarrier(): Promise<boolean> {
    return (await this.inner.durabilityBarrier?.()) ?? true;
  }

  health(): Promise<StoreHealth> {
    return this.inner.health();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
