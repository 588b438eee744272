// Sessions in PostgreSQL (node-postgres). Saves are one statement each — an UPDATE guarded by
// `version = expected`, or an INSERT … ON CONFLICT DO NOTHING for a new session — and the row
// count decides between success and NAU_STORE_CONFLICT. Session locks are session-level advisory
// locks, each held on a dedicated connection from a separate pool (so lock holders can never
// starve the queries they are waiting to run), behind an in-process FIFO so one process holds at
// most one connection per busy session. Several broker processes can share the database.
import pg from 'pg';
import { badStoreOption, corruptRow, notOpen, storeConflict } from './errors.ts';
import { KeyedFifoLock } from './keyed-lock.ts';
import { PG_LABEL, pgFailure } from './postgres-errors.ts';
import { sessionLockKey } from './postgres-lock-keys.ts';
import { migratePostgres } from './postgres-migrations.ts';
import { checkCutoff, checkSave, checkSessionId, type RecordMeta } from './save-plan.ts';
import { savedRecord, stateFromJson } from './state-json.ts';
import type {
  SaveRequest,
  SessionLockRelease,
  SessionRecord,
  SessionStatus,
  SessionStore,
  StoreHealth,
} from './types.ts';

export interface PostgresSessionStoreOptions {
  /** Connection string; may hold a password — it never appears in an error message. */
  readonly dsn: string;
  /** Connections for reads and writes (default 10). */
  readonly poolSize?: number;
  /** Connections for held session locks: sessions locked at once per process (default 16). */
  readonly lockPoolSize?: number;
  /** Deadline for opening a connection (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** Server-side statement_timeout for reads and writes (default 10000 ms). */
  readonly statementTimeoutMs?: number;
  /** How long lockSession waits for another process's lock; 0 = no limit (default 60000 ms). */
  readonly lockTimeoutMs?: number;
  /**
   * When the server's synchronous_commit is `off`, raise it to `on` for the store's connections
   * so a save is durable when it returns (default true). Stronger settings are left alone.
   */
  readonly forceSynchronousCommit?: boolean;
}

export interface PostgresStoreSettings {
  /** synchronous_commit of the store's write connections. */
  readonly synchronousCommit: string;
  readonly schemaVersion: number;
}

/** Extra time the client waits past a server-side timeout before giving up on the connection. */
const CLIENT_GRACE_MS = 1000;

const FMT = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const ts = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', ${FMT}) AS ${col}`;
/** Columns besides state, as text (independent of any global pg type parsers). */
const META = `session_id, status, version::text AS version, wal_lsn::text AS wal_lsn,
  ${ts('created_at')}, ${ts('updated_at')}, ${ts('closed_at')}`;
const ROW = `${META}, state::text AS state`;

const SQL = {
  one: `SELECT ${ROW} FROM nautilus_sessions WHERE session_id = $1`,
  allOpen: `SELECT ${ROW} FROM nautilus_sessions WHERE status = 'open'
            ORDER BY created_at, session_id COLLATE "C"`,
  expired: `SELECT session_id FROM nautilus_sessions WHERE status = 'open' AND updated_at < $1
            ORDER BY updated_at, session_id COLLATE "C"`,
  version: 'SELECT version::text AS version FROM nautilus_sessions WHERE session_id = $1',
  // Mirrors planSave (save-plan.ts): version + 1, wal_lsn never decreases, created_at kept,
  // closed_at set on the first save as closed.
  insert: `INSERT INTO nautilus_sessions
             (session_id, status, state, version, wal_lsn, created_at, updated_at, closed_at)
           VALUES ($1, $2::text, $3::jsonb, 1, $4::bigint, $5::timestamptz, $5::timestamptz,
                   CASE WHEN $2::text = 'closed' THEN $5::timestamptz END)
           ON CONFLICT (session_id) DO NOTHING
           RETURNING ${META}`,
  update: `UPDATE nautilus_sessions SET
             status = $3::text, state = $4::jsonb, version = version + 1,
             wal_lsn = GREATEST(wal_lsn, $5::bigint), updated_at = $6::timestamptz,
             closed_at = CASE WHEN $3::text = 'closed' THEN COALESCE(closed_at, $6::timestamptz) END
           WHERE session_id = $1 AND version = $2::bigint
           RETURNING ${META}`,
  lock: 'SELECT pg_advisory_lock($1::bigint)',
  unlock: 'SELECT pg_advisory_unlock($1::bigint) AS ok',
} as const;

interface MetaRow {
  session_id: string;
  status: SessionStatus;
  version: string;
  wal_lsn: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

interface Row extends MetaRow {
  state: string;
}

/** A lock connection checked out of the lock pool. */
interface LockClient {
  readonly client: pg.PoolClient;
  readonly onError: () => void;
  broken: boolean;
  returned: boolean;
}

export class PostgresSessionStore implements SessionStore {
  readonly backend = 'postgres' as const;
  private readonly o: Required<PostgresSessionStoreOptions>;
  private readonly locks = new KeyedFifoLock();
  /** Lock connections currently checked out (destroyed on close). */
  private readonly lockClients = new Set<LockClient>();
  private pool: pg.Pool | undefined;
  private lockPool: pg.Pool | undefined;
  private opening: Promise<void> | undefined;
  private opened = false;
  private closed = false;
  private schemaVersion = 0;
  /** Why the last open() failed (what health() reports until an open succeeds). */
  private openError: Error | undefined;

  constructor(options: PostgresSessionStoreOptions) {
    this.o = {
      dsn: options.dsn,
      poolSize: options.poolSize ?? 10,
      lockPoolSize: options.lockPoolSize ?? 16,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      statementTimeoutMs: options.statementTimeoutMs ?? 10_000,
      lockTimeoutMs: options.lockTimeoutMs ?? 60_000,
      forceSynchronousCommit: options.forceSynchronousCommit ?? true,
    };
    if (typeof this.o.dsn !== 'string' || this.o.dsn === '')
      throw badStoreOption('session_store.dsn', 'is required for backend postgres');
    for (const key of [
      'poolSize',
      'lockPoolSize',
      'connectTimeoutMs',
      'statementTimeoutMs',
    ] as const)
      if (!Number.isSafeInteger(this.o[key]) || this.o[key] < 1)
        throw badStoreOption(key, 'must be an integer >= 1');
    if (!Number.isSafeInteger(this.o.lockTimeoutMs) || this.o.lockTimeoutMs < 0)
      throw badStoreOption('lockTimeoutMs', 'must be an integer >= 0');
  }

  async open(): Promise<void> {
    if (this.closed) throw notOpen('postgres', PG_LABEL, true);
    if (this.opened) return;
    if (this.opening === undefined) {
      const attempt = this.connectAndMigrate();
      this.opening = attempt;
      // A failed open can be retried (the server may come up later).
      attempt.then(
        () => {
          this.opened = true;
          this.openError = undefined;
        },
        (e: unknown) => {
          if (this.opening === attempt) this.opening = undefined;
          this.openError = e instanceof Error ? e : undefined;
        },
      );
    }
    await this.opening;
  }

  async load(sessionId: string): Promise<SessionRecord | null> {
    const pool = this.readyPool();
    const id = checkSessionId(sessionId);
    try {
      const res = await pool.query<Row>(SQL.one, [id]);
      const row = res.rows[0];
      return row === undefined ? null : toRecord(row);
    } catch (e) {
      throw pgFailure(`load session ${id}`, e);
    }
  }

  async loadAllOpen(): Promise<SessionRecord[]> {
    const pool = this.readyPool();
    try {
      const res = await pool.query<Row>(SQL.allOpen);
      return res.rows.map(toRecord);
    } catch (e) {
      throw pgFailure('load the open sessions', e);
    }
  }

  async save(req: SaveRequest): Promise<SessionRecord> {
    const pool = this.readyPool();
    const s = checkSave(req);
    try {
      const res =
        s.expectedVersion === 0
          ? await pool.query<MetaRow>(SQL.insert, [
              s.sessionId,
              s.status,
              s.stateJson,
              s.walLsn,
              s.now,
            ])
          : await pool.query<MetaRow>(SQL.update, [
              s.sessionId,
              s.expectedVersion,
              s.status,
              s.stateJson,
              s.walLsn,
              s.now,
            ]);
      const row = res.rows[0];
      if (row === undefined) {
        // Nothing written: report what the row holds now.
        const found = await pool.query<{ version: string }>(SQL.version, [s.sessionId]);
        const actual =
          found.rows[0] === undefined ? 0 : toCount(found.rows[0].version, s.sessionId, 'version');
        throw storeConflict(s.sessionId, s.expectedVersion, actual);
      }
      return savedRecord(toMeta(row), s.sessionId, s.stateJson);
    } catch (e) {
      throw pgFailure(`save session ${s.sessionId}`, e);
    }
  }

  async lockSession(sessionId: string): Promise<SessionLockRelease> {
    this.readyPool();
    const id = checkSessionId(sessionId);
    const releaseLocal = await this.locks.acquire(id);
    const key = sessionLockKey(id);
    let held: LockClient;
    try {
      held = await this.takeAdvisoryLock(key);
    } catch (e) {
      await releaseLocal();
      throw pgFailure(`lock session ${id}`, e);
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      await this.dropAdvisoryLock(held, key);
      await releaseLocal();
    };
  }

  async listExpired(before: Date): Promise<string[]> {
    const pool = this.readyPool();
    const cutoff = checkCutoff(before);
    try {
      const res = await pool.query<{ session_id: string }>(SQL.expired, [cutoff]);
      return res.rows.map((r) => r.session_id);
    } catch (e) {
      throw pgFailure('list expired sessions', e);
    }
  }

  async health(): Promise<StoreHealth> {
    if (!this.opened && this.openError !== undefined && !this.closed)
      return { ok: false, detail: this.openError.message };
    try {
      await this.readyPool().query('SELECT 1 FROM nautilus_schema_migrations LIMIT 1');
      return { ok: true, detail: 'postgres' };
    } catch (e) {
      return { ok: false, detail: pgFailure('reach the database', e).message };
    }
  }

  /** Settings in force on the store's connections (for diagnostics and tests). */
  async settings(): Promise<PostgresStoreSettings> {
    const pool = this.readyPool();
    try {
      const res = await pool.query<{ s: string }>(
        "SELECT current_setting('synchronous_commit') AS s",
      );
      return { synchronousCommit: res.rows[0]?.s ?? '?', schemaVersion: this.schemaVersion };
    } catch (e) {
      throw pgFailure('read its settings', e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.opened = false;
    this.locks.close(notOpen('postgres', PG_LABEL, true));
    // Dropping a lock connection releases its advisory lock on the server; a holder that
    // releases later finds it already returned.
    for (const held of this.lockClients) this.returnClient(held, true);
    await this.opening?.catch(() => {});
    await this.endPools();
  }

  // ---- internals ---------------------------------------------------------------------------

  private readyPool(): pg.Pool {
    if (!this.opened || this.pool === undefined) throw notOpen('postgres', PG_LABEL, this.closed);
    return this.pool;
  }

  private async connectAndMigrate(): Promise<void> {
    const o = this.o;
    const common = { connectionString: o.dsn, keepAlive: true };
    const queries = {
      ...common,
      connectionTimeoutMillis: o.connectTimeoutMs,
      statement_timeout: o.statementTimeoutMs,
      query_timeout: o.statementTimeoutMs + CLIENT_GRACE_MS,
      application_name: 'nautilus-sessions',
    };
    // Migrate on a connection of its own; it also tells whether commits would be asynchronous.
    let syncOff = false;
    const client = new pg.Client(queries);
    client.on('error', () => {});
    try {
      await client.connect();
      this.schemaVersion = (await migratePostgres(client)).to;
      const res = await client.query<{ s: string }>(
        "SELECT current_setting('synchronous_commit') AS s",
      );
      syncOff = res.rows[0]?.s === 'off';
    } catch (e) {
      throw pgFailure('open the session tables', e);
    } finally {
      await client.end().catch(() => {});
    }
    if (this.closed) throw notOpen('postgres', PG_LABEL, true);
    const pool = new pg.Pool({
      ...queries,
      max: o.poolSize,
      idleTimeoutMillis: 30_000,
      allowExitOnIdle: true,
      // Only `off` is raised: a DBA's stronger setting (remote_apply, …) stays as configured.
      ...(syncOff && o.forceSynchronousCommit ? { options: '-c synchronous_commit=on' } : {}),
    });
    // Waiting for a lock connection is part of waiting for the lock, so it shares its deadline;
    // no statement_timeout there: pg_advisory_lock is bounded by lock_timeout instead.
    const wait = o.lockTimeoutMs === 0 ? 0 : Math.max(o.lockTimeoutMs, o.connectTimeoutMs);
    const lockPool = new pg.Pool({
      ...common,
      max: o.lockPoolSize,
      idleTimeoutMillis: 30_000,
      allowExitOnIdle: true,
      connectionTimeoutMillis: wait,
      ...(o.lockTimeoutMs === 0
        ? {}
        : { lock_timeout: o.lockTimeoutMs, query_timeout: o.lockTimeoutMs + CLIENT_GRACE_MS }),
      application_name: 'nautilus-session-locks',
    });
    // Idle connections losing their server emit here; unhandled, that would end the process.
    pool.on('error', () => {});
    lockPool.on('error', () => {});
    this.pool = pool;
    this.lockPool = lockPool;
  }

  private async endPools(): Promise<void> {
    const pools = [this.pool, this.lockPool];
    this.pool = undefined;
    this.lockPool = undefined;
    await Promise.all(pools.map((p) => p?.end().catch(() => {})));
  }

  private async takeAdvisoryLock(key: string): Promise<LockClient> {
    const lockPool = this.lockPool;
    if (lockPool === undefined) throw notOpen('postgres', PG_LABEL, this.closed);
    const client = await lockPool.connect();
    const held: LockClient = {
      client,
      onError: () => {
        held.broken = true;
      },
      broken: false,
      returned: false,
    };
    // A checked-out client has no error listener of its own: without this, a server that
    // goes away while the lock is held would crash the process.
    client.on('error', held.onError);
    this.lockClients.add(held);
    if (this.closed) {
      this.returnClient(held, true);
      throw notOpen('postgres', PG_LABEL, true);
    }
    try {
      await client.query(SQL.lock, [key]);
    } catch (e) {
      this.returnClient(held, true);
      throw e;
    }
    return held;
  }

  /** Never throws: a connection whose unlock failed is destroyed, which releases the lock. */
  private async dropAdvisoryLock(held: LockClient, key: string): Promise<void> {
    if (held.returned) return;
    let ok = false;
    if (!held.broken) {
      try {
        const res = await held.client.query<{ ok: boolean }>(SQL.unlock, [key]);
        ok = res.rows[0]?.ok === true;
      } catch {
        ok = false;
      }
    }
    this.returnClient(held, !ok);
  }

  private returnClient(held: LockClient, destroy: boolean): void {
    if (held.returned) return;
    held.returned = true;
    this.lockClients.delete(held);
    held.client.off('error', held.onError);
    // A destroyed client may still emit a late socket error.
    if (destroy) held.client.on('error', () => {});
    held.client.release(destroy || held.broken ? true : undefined);
  }
}

function toCount(text: string, sessionId: string, column: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw corruptRow(sessionId, `${column} ${text} is not an integer in 0..2^53`);
  return n;
}

function toMeta(row: MetaRow): RecordMeta {
  return {
    sessionId: row.session_id,
    status: row.status,
    version: toCount(row.version, row.session_id, 'version'),
    walLsn: toCount(row.wal_lsn, row.session_id, 'wal_lsn'),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
  };
}

function toRecord(row: Row): SessionRecord {
  return { ...toMeta(row), state: stateFromJson(row.session_id, row.state) };
}
