// Sessions: cumulative exposure kept in working memory and persisted after every request.
// A session is created on first use of its id; requests in one session run one at a time (the
// store's session lock: in-process FIFO, plus a PostgreSQL advisory lock across processes);
// different sessions never wait for each other. The store row is the source of truth between
// processes: under the lock, a row written by another process since we last saw it replaces
// this process's copy of the session before the request runs.
import { NautilusError } from '../errors.ts';
import { failpoint } from '../failpoint.ts';
import { isSessionOps, type SessionOp } from './ops.ts';
import type { SessionRecord, SessionStore } from './store/types.ts';
import { decodeState, encodeState, type FactRows } from './stored-state.ts';

/** What the manager needs from the engine (implemented by the broker over its PolicyEngine). */
export interface SessionEngine {
  /** Engine phase 2: asserts the ops and runs the policy so summaries and flags follow. */
  apply(ops: readonly SessionOp[]): { readonly ruleTrace: readonly string[] };
  /** The session's facts in working memory, as ops. */
  facts(sessionId: string): SessionOp[];
  /** The same facts as positional rows (what is persisted, see stored-state.ts). */
  rows(sessionId: string): FactRows;
  /** Retracts every fact of the session. */
  drop(sessionId: string): void;
}

export type PersistenceMode = 'synchronous' | 'async';

export interface SessionManagerOptions {
  readonly store: SessionStore;
  readonly engine: SessionEngine;
  readonly ttlSeconds: number;
  readonly mode: PersistenceMode;
  readonly clock: () => Date;
  readonly warn: (message: string) => void;
  /** Called (inside the session's lock) when a session ends, with its final facts. */
  readonly onClosed: (
    sessionId: string,
    reason: 'closed' | 'expired',
    facts: readonly SessionOp[],
  ) => Promise<void>;
  /** Async mode: how long writes may wait to be batched (default 25 ms). */
  readonly flushDelayMs?: number;
  /** Async mode: how long to wait before retrying writes the store refused (default 1000 ms). */
  readonly retryDelayMs?: number;
  /**
   * Hears every successful store write of a session with the WAL LSN it includes (the WAL
   * checkpoints only what the store has). Called synchronously; must not throw.
   */
  readonly onSaved?: (sessionId: string, walLsn: number) => void;
}

/** One WAL record to replay (see `SessionManager.replay`). */
export interface ReplayRecord {
  readonly lsn: number;
  readonly sid: string;
  readonly ts: number;
  readonly ops: unknown;
}

export type ReplayOutcome = 'applied' | 'already-applied' | 'closed';

interface Tracked {
  /** Version of the row this process last wrote or read. */
  version: number;
  createdAt: string;
  /** Last use (ms since the epoch): the row's `updated_at` once saved. */
  updatedMs: number;
  /** Working memory may differ from the store (a failed write): resync before the next use. */
  dirty: boolean;
  /** Per WAL id, the highest LSN whose ops working memory includes (see StoredState.wal). */
  wal: Record<string, number>;
}

/** A session a request holds the lock of. */
export interface OpenSession {
  readonly id: string;
  /** True when this request is the session's first. */
  readonly isNew: boolean;
  /**
   * Applies the request's ops (engine phase 2) and persists the session: awaited in
   * synchronous mode, queued in async mode. Call at most once.
   */
  commit(ops: readonly SessionOp[], walLsn?: number): Promise<{ ruleTrace: readonly string[] }>;
}

export interface SessionInfo {
  readonly sessionId: string;
  readonly status: 'open' | 'closed';
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly closedAt: string | null;
  readonly facts: readonly SessionOp[];
}

export class SessionManager {
  private readonly tracked = new Map<string, Tracked>();
  /** Sessions whose stored state could not be read: refused until an operator repairs them. */
  private readonly quarantined = new Map<string, string>();
  /** Async mode: sessions with a write queued. */
  private readonly pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private unavailable: NautilusError | null = null;
  private closed = false;
  private highestWalLsn = 0;
  /** The id of this process's WAL (attachWal), or null without one. */
  private walId: string | null = null;
  /** Sessions replayed but not saved yet (finishReplay saves each once). */
  private readonly replayed = new Set<string>();
  /** Sessions recovery found closed (their later records are skipped without a store read). */
  private readonly replayClosed = new Set<string>();

  constructor(private readonly o: SessionManagerOptions) {}

  /** Opens the store and loads every open session into working memory. */
  async start(): Promise<{ sessions: number; ms: number }> {
    const started = performance.now();
    try {
      await this.o.store.open();
      const rows = await this.o.store.loadAllOpen();
      for (const row of rows) {
        this.highestWalLsn = Math.max(this.highestWalLsn, row.walLsn);
        this.restore(row);
      }
    } catch (x) {
      this.unavailable = storeUnavailable(x);
      this.o.warn(`session store unavailable, session requests are refused: ${describe(x)}`);
    }
    return { sessions: this.tracked.size, ms: performance.now() - started };
  }

  /** The highest `wal_lsn` column of an open session's row at start() (LSNs are never reused). */
  get maxWalLsn(): number {
    return this.highestWalLsn;
  }

  /** Names this process's WAL: commits' LSNs are recorded under its id from now on. */
  attachWal(walId: string): void {
    this.walId = walId;
  }

  /**
   * WAL recovery: applies one record's ops through the same path as a live request (the session
   * is dated by the record). A record the row already holds (per this WAL's id) is skipped, and a
   * closed session takes no more. Nothing is written until finishReplay(), which saves every
   * replayed session once: recovery costs one store write per session, not per record.
   */
  async replay(record: ReplayRecord): Promise<ReplayOutcome> {
    const known = this.replayNext(record);
    if (known !== null) return known;
    // First record of a session this recovery has not touched: bring it up to date with its row.
    const release = await this.lock(record.sid);
    try {
      const row = await this.syncFromStore(record.sid);
      if (row?.status === 'closed') {
        this.replayClosed.add(record.sid);
        return 'closed';
      }
    } finally {
      await release();
    }
    return this.replayApply(record, record.ops as SessionOp[]);
  }

  /**
   * replay() without awaiting, for the usual record: its session is already replayed (only in
   * this process's memory until finishReplay; nothing else runs before recovery ends), or the
   * row loaded at start() covers it. Null when the session's row must be read first: call
   * replay() then.
   */
  replayNext(record: ReplayRecord): ReplayOutcome | null {
    this.checkUsable();
    const walId = this.walId;
    if (walId === null) throw new Error('SessionManager.replay before attachWal');
    if (!isSessionOps(record.ops)) {
      throw new NautilusError(
        'NAU_WAL_BAD_RECORD',
        `WAL record ${record.lsn} (session ${record.sid}): ops are not session operations`,
        500,
        { session_id: record.sid, lsn: record.lsn },
      );
    }
    // Only this process advances its WAL's entry of a row, so the entry loaded at start() is
    // current: a record it covers is skipped without reading the store.
    const known = this.tracked.get(record.sid);
    if (known !== undefined && (known.wal[walId] ?? 0) >= record.lsn) return 'already-applied';
    if (this.replayClosed.has(record.sid)) return 'closed';
    // No store read and no lock for a session replayed already: on PostgreSQL that would be an
    // advisory-lock round trip per record.
    if (!this.replayed.has(record.sid)) return null;
    return this.replayApply(record, record.ops);
  }

  private replayApply(record: ReplayRecord, ops: readonly SessionOp[]): ReplayOutcome {
    const walId = this.walId as string;
    const t = this.tracked.get(record.sid);
    if (t !== undefined && (t.wal[walId] ?? 0) >= record.lsn) return 'already-applied';
    // Dated by its record: an idle session is not revived by a restart.
    this.apply(record.sid, ops, record.lsn, record.ts);
    this.replayed.add(record.sid);
    return 'applied';
  }

  /** Ends WAL recovery: saves every session replay changed (synchronously, in either mode). */
  async finishReplay(): Promise<number> {
    this.replayClosed.clear();
    const ids = [...this.replayed];
    for (const id of ids) {
      const release = await this.lock(id);
      try {
        const t = this.tracked.get(id);
        if (t !== undefined) await this.save(id, t, new Date(t.updatedMs));
        this.replayed.delete(id);
        // A crash here leaves recovery half done: this session stored, the next ones not yet.
        failpoint('recovery');
      } finally {
        await release();
      }
    }
    return ids.length;
  }

  /** Whether session requests can be served (false after a store failure at startup). */
  get available(): boolean {
    return this.unavailable === null;
  }

  /**
   * Runs `fn` holding the session's lock. The session is brought up to date with the store
   * first; a closed or expired session is refused with NAU_SESSION_CLOSED.
   */
  async withSession<T>(sessionId: string, fn: (s: OpenSession) => Promise<T>): Promise<T> {
    this.checkUsable();
    let release: () => Promise<void>;
    try {
      release = await this.o.store.lockSession(sessionId);
    } catch (x) {
      throw storeUnavailable(x);
    }
    try {
      const row = await this.syncFromStore(sessionId);
      if (row?.status === 'closed') throw sessionClosed(sessionId, row.closedAt);
      const t = this.tracked.get(sessionId);
      if (t !== undefined && this.isExpired(t)) {
        await this.end(sessionId, 'expired');
        throw sessionClosed(sessionId, this.o.clock().toISOString());
      }
      let committed = false;
      const session: OpenSession = {
        id: sessionId,
        isNew: t === undefined,
        commit: async (ops, walLsn = 0) => {
          if (committed) throw new Error(`session ${sessionId} committed twice`);
          committed = true;
          return this.commit(sessionId, ops, walLsn);
        },
      };
      return await fn(session);
    } finally {
      await release();
    }
  }

  /** The session's state in working memory, or null when this process does not know it. */
  async info(sessionId: string): Promise<SessionInfo | null> {
    this.checkUsable();
    const release = await this.lock(sessionId);
    try {
      const row = await this.syncFromStore(sessionId);
      const t = this.tracked.get(sessionId);
      if (t === undefined) {
        if (row === null) return null;
        return {
          sessionId,
          status: row.status,
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
          closedAt: row.closedAt,
          facts: decodeState(row.state)?.facts ?? [],
        };
      }
      return {
        sessionId,
        status: 'open',
        createdAt: t.createdAt,
        updatedAt: new Date(t.updatedMs).toISOString(),
        closedAt: null,
        facts: this.o.engine.facts(sessionId),
      };
    } finally {
      await release();
    }
  }

  /** Ends a session at the caller's request. Unknown: NAU_SESSION_UNKNOWN; closed: no-op. */
  async close(sessionId: string): Promise<void> {
    this.checkUsable();
    const release = await this.lock(sessionId);
    try {
      const row = await this.syncFromStore(sessionId);
      if (row?.status === 'closed') return;
      if (!this.tracked.has(sessionId)) {
        throw new NautilusError('NAU_SESSION_UNKNOWN', `there is no session ${sessionId}`, 404, {
          session_id: sessionId,
        });
      }
      await this.end(sessionId, 'closed');
    } finally {
      await release();
    }
  }

  /**
   * Ends every session idle for longer than the TTL; returns how many ended. Each candidate is
   * brought up to date with the store first: another process may have used it since (then it is
   * not idle) or closed it (then it is only forgotten here).
   */
  async expireIdle(): Promise<number> {
    if (this.unavailable !== null || this.closed) return 0;
    let ended = 0;
    for (const [id, t] of [...this.tracked]) {
      if (!this.isExpired(t)) continue;
      let release: (() => Promise<void>) | undefined;
      try {
        release = await this.lock(id);
        await this.syncFromStore(id);
        const now = this.tracked.get(id);
        if (now !== undefined && this.isExpired(now)) {
          await this.end(id, 'expired');
          ended++;
        }
      } catch (x) {
        this.o.warn(`could not expire session ${id}: ${describe(x)}`);
        // The store is down: every other session would fail the same way; retry next round.
        if (x instanceof NautilusError && x.code === 'NAU_STORE_UNAVAILABLE') break;
      } finally {
        await release?.();
      }
    }
    return ended;
  }

  /** Async mode: writes everything queued now (also used at shutdown). */
  async flush(): Promise<void> {
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    this.flushing = this.flushing.then(() => this.writePending());
    await this.flushing;
  }

  /** Flushes queued writes, runs `beforeStoreClose` (the WAL's last checkpoint), closes the store. */
  async shutdown(beforeStoreClose?: () => Promise<void>): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      try {
        await beforeStoreClose?.();
      } finally {
        await this.o.store.close();
      }
    }
  }

  /** Open sessions this process holds in working memory. */
  get size(): number {
    return this.tracked.size;
  }

  // ---- internals ---------------------------------------------------------------------------

  private checkUsable(): void {
    if (this.unavailable !== null) throw this.unavailable;
    if (this.closed) throw new NautilusError('NAU_BROKER_CLOSED', 'the broker is closed', 503);
  }

  private async lock(sessionId: string): Promise<() => Promise<void>> {
    try {
      return await this.o.store.lockSession(sessionId);
    } catch (x) {
      throw storeUnavailable(x);
    }
  }

  private isExpired(t: Tracked): boolean {
    const idle = this.o.clock().getTime() - t.updatedMs;
    return idle >= this.o.ttlSeconds * 1000;
  }

  /** Loads the session's row and, when another process (or a failed write) made this process's
   *  copy stale, replaces the working-memory facts with the stored ones. */
  private async syncFromStore(sessionId: string): Promise<SessionRecord | null> {
    const bad = this.quarantined.get(sessionId);
    if (bad !== undefined) {
      throw new NautilusError('NAU_STORE_CORRUPT', bad, 500, { session_id: sessionId });
    }
    let row: SessionRecord | null;
    try {
      // With writes still queued (async mode) this process is ahead of the store.
      if (this.pending.has(sessionId) || this.replayed.has(sessionId)) return null;
      row = await this.o.store.load(sessionId);
    } catch (x) {
      throw storeUnavailable(x);
    }
    const t = this.tracked.get(sessionId);
    if (row === null) {
      if (t !== undefined && !t.dirty) return null;
      if (t !== undefined) {
        // Our only write failed: forget what the store never got.
        this.o.engine.drop(sessionId);
        this.tracked.delete(sessionId);
      }
      return null;
    }
    if (t !== undefined && !t.dirty && t.version === row.version) return row;
    if (t !== undefined) {
      this.o.engine.drop(sessionId);
      this.tracked.delete(sessionId);
    }
    if (row.status === 'open') this.restore(row);
    return row;
  }

  private restore(row: SessionRecord): void {
    const state = decodeState(row.state);
    if (state === null) {
      const why = `session ${row.sessionId}: the stored state is not a Nautilus session state (version ${row.version})`;
      this.quarantined.set(row.sessionId, why);
      this.o.warn(why);
      return;
    }
    try {
      this.o.engine.apply(state.facts);
    } catch (x) {
      // E.g. written under another version of the policy's templates: this session is refused,
      // the others are served.
      const why = `session ${row.sessionId}: its stored facts do not fit the loaded policy (${describe(x)}); requests in it are refused until it is migrated or removed from the store`;
      this.quarantined.set(row.sessionId, why);
      this.o.warn(why);
      return;
    }
    this.tracked.set(row.sessionId, {
      version: row.version,
      createdAt: row.createdAt,
      updatedMs: Date.parse(row.updatedAt),
      dirty: false,
      wal: { ...state.wal },
    });
  }

  /** Engine phase 2 for one request or WAL record; the session is dated `at`. */
  private apply(
    sessionId: string,
    ops: readonly SessionOp[],
    walLsn: number,
    atMs: number,
  ): { tracked: Tracked; applied: { ruleTrace: readonly string[] } } {
    let t = this.tracked.get(sessionId);
    if (t === undefined) {
      const created = new Date(atMs).toISOString();
      t = { version: 0, createdAt: created, updatedMs: atMs, dirty: false, wal: {} };
      this.tracked.set(sessionId, t);
    }
    const applied = this.o.engine.apply(ops);
    t.updatedMs = atMs;
    if (walLsn > 0 && this.walId !== null) {
      t.wal[this.walId] = Math.max(t.wal[this.walId] ?? 0, walLsn);
    }
    return { tracked: t, applied };
  }

  private async commit(
    sessionId: string,
    ops: readonly SessionOp[],
    walLsn: number,
  ): Promise<{ ruleTrace: readonly string[] }> {
    const { tracked: t, applied } = this.apply(sessionId, ops, walLsn, this.o.clock().getTime());
    if (this.o.mode === 'async') {
      this.pending.add(sessionId);
      this.scheduleFlush();
      return applied;
    }
    failpoint('before-store-write');
    await this.save(sessionId, t);
    return applied;
  }

  /** The LSN of this process's WAL the session includes (the row's `wal_lsn` column). */
  private walLsnOf(t: Tracked): number {
    return this.walId === null ? 0 : (t.wal[this.walId] ?? 0);
  }

  private async save(sessionId: string, t: Tracked, at?: Date): Promise<void> {
    const walLsn = this.walLsnOf(t);
    try {
      const saved = await this.o.store.save({
        sessionId,
        status: 'open',
        state: encodeState(this.o.engine.rows(sessionId), t.wal),
        walLsn,
        expectedVersion: t.version,
        now: at ?? this.o.clock(),
      });
      t.version = saved.version;
      t.createdAt = saved.createdAt;
      t.updatedMs = Date.parse(saved.updatedAt);
      t.dirty = false;
      this.o.onSaved?.(sessionId, walLsn);
    } catch (x) {
      // Working memory now holds what the store does not: resync before the next use.
      t.dirty = true;
      throw x instanceof NautilusError && x.code === 'NAU_STORE_CONFLICT' ? x : storeUnavailable(x);
    }
  }

  private scheduleFlush(delayMs = this.o.flushDelayMs ?? 25): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flushing = this.flushing.then(() => this.writePending());
    }, delayMs);
    this.flushTimer.unref();
  }

  private async writePending(): Promise<void> {
    const ids = [...this.pending];
    let retry = 0;
    for (const id of ids) {
      let release: (() => Promise<void>) | undefined;
      try {
        // Under the session's lock, so a write never races a request or a close.
        release = await this.lock(id);
        if (!this.pending.delete(id)) continue;
        const t = this.tracked.get(id);
        if (t !== undefined) {
          failpoint('before-store-write');
          await this.save(id, t);
        }
      } catch (x) {
        if (x instanceof NautilusError && x.code === 'NAU_STORE_UNAVAILABLE') {
          // Working memory still holds what the callers were told: keep it queued (a resync
          // would replace it with the older stored state and forget acknowledged exposures).
          this.pending.add(id);
          const t = this.tracked.get(id);
          if (t !== undefined) t.dirty = false;
          retry++;
        } else {
          this.o.warn(`async write of session ${id} failed; it will be resynced: ${describe(x)}`);
        }
      } finally {
        await release?.();
      }
    }
    if (retry === 0) return;
    if (this.closed) {
      this.o.warn(
        `the session store is unavailable: the last writes of ${retry} session(s) are lost at shutdown`,
      );
      return;
    }
    this.o.warn(
      `the session store is unavailable: ${retry} session write(s) stay queued and are retried`,
    );
    this.scheduleFlush(this.o.retryDelayMs ?? 1000);
  }

  private async end(sessionId: string, reason: 'closed' | 'expired'): Promise<void> {
    const t = this.tracked.get(sessionId);
    const facts = this.o.engine.facts(sessionId);
    const wasPending = this.pending.delete(sessionId);
    try {
      await this.o.store.save({
        sessionId,
        status: 'closed',
        state: encodeState(this.o.engine.rows(sessionId), t?.wal ?? {}),
        walLsn: t === undefined ? 0 : this.walLsnOf(t),
        expectedVersion: t?.version ?? 0,
        now: this.o.clock(),
      });
    } catch (x) {
      if (wasPending) this.pending.add(sessionId);
      throw x instanceof NautilusError && x.code === 'NAU_STORE_CONFLICT' ? x : storeUnavailable(x);
    }
    if (t !== undefined) this.o.onSaved?.(sessionId, this.walLsnOf(t));
    await this.o.onClosed(sessionId, reason, facts);
    this.o.engine.drop(sessionId);
    this.tracked.delete(sessionId);
  }
}

function sessionClosed(sessionId: string, at: string | null): NautilusError {
  return new NautilusError(
    'NAU_SESSION_CLOSED',
    `session ${sessionId} is closed${at === null ? '' : ` (since ${at})`}; start a new session`,
    409,
    { session_id: sessionId },
  );
}

function storeUnavailable(x: unknown): NautilusError {
  if (x instanceof NautilusError && x.code === 'NAU_STORE_UNAVAILABLE') return x;
  return new NautilusError(
    'NAU_STORE_UNAVAILABLE',
    'the session store is unavailable; session requests are refused until it recovers',
    503,
    { cause: describe(x) },
  );
}

function describe(x: unknown): string {
  return x instanceof Error ? x.message : String(x);
}
