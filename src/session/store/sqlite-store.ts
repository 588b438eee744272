// Sessions in a SQLite file (better-sqlite3): journal_mode=WAL, synchronous=FULL by default (every
// commit is fsynced), busy_timeout for other connections to the same file. Each save is one
// BEGIN IMMEDIATE transaction holding the version check. better-sqlite3 is synchronous: every
// call here is one short statement or transaction on the event loop. Session locks are
// in-process only; processes sharing one file are kept from overwriting each other by the
// version check alone.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { badStoreOption, notOpen } from './errors.ts';
import { KeyedFifoLock } from './keyed-lock.ts';
import { checkCutoff, checkSave, checkSessionId, planSave, type RecordMeta } from './save-plan.ts';
import { sqliteFailure } from './sqlite-errors.ts';
import { migrateSqlite } from './sqlite-migrations.ts';
import { savedRecord, stateFromJson } from './state-json.ts';
import type {
  SaveRequest,
  SessionLockRelease,
  SessionRecord,
  SessionStatus,
  SessionStore,
  StoreHealth,
} from './types.ts';

export type SqliteSynchronous = 'FULL' | 'NORMAL';

export interface SqliteSessionStoreOptions {
  /** The database file; its folder is created (mode 0700) when missing. */
  readonly path: string;
  /**
   * FULL (default): every commit is fsynced. NORMAL: commits are fsynced only at checkpoints and
   * may roll back after a power loss — only safe with the WAL and checkpoint gating
   * (`checkpointFull()` returning busy = false before WAL segments are deleted).
   */
  readonly synchronous?: SqliteSynchronous;
  /** How long a statement waits for another connection's lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
}

export interface SqliteStoreSettings {
  readonly path: string;
  readonly journalMode: string;
  readonly synchronous: SqliteSynchronous | 'OFF' | 'EXTRA';
  readonly busyTimeoutMs: number;
  readonly schemaVersion: number;
}

interface Row {
  session_id: string;
  status: SessionStatus;
  state: string;
  version: number;
  wal_lsn: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

type MetaRow = Pick<Row, 'version' | 'wal_lsn' | 'created_at' | 'closed_at'>;

const COLUMNS = 'session_id, status, state, version, wal_lsn, created_at, updated_at, closed_at';
const SYNC_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

class Statements {
  readonly one;
  readonly meta;
  readonly insert;
  readonly update;
  readonly allOpen;
  readonly expired;
  readonly probe;

  constructor(db: Database.Database) {
    this.one = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM sessions WHERE session_id = ?`);
    this.meta = db.prepare<[string], MetaRow>(
      'SELECT version, wal_lsn, created_at, closed_at FROM sessions WHERE session_id = ?',
    );
    this.insert = db.prepare(
      `INSERT INTO sessions (${COLUMNS}) VALUES (@sessionId, @status, @state, @version, @walLsn, @createdAt, @updatedAt, @closedAt)`,
    );
    this.update = db.prepare(
      `UPDATE sessions SET status = @status, state = @state, version = @version, wal_lsn = @walLsn,
         updated_at = @updatedAt, closed_at = @closedAt
       WHERE session_id = @sessionId AND version = @expectedVersion`,
    );
    this.allOpen = db.prepare<[], Row>(
      `SELECT ${COLUMNS} FROM sessions WHERE status = 'open' ORDER BY created_at, session_id`,
    );
    this.expired = db.prepare<[string], { session_id: string }>(
      `SELECT session_id FROM sessions WHERE status = 'open' AND updated_at < ?
       ORDER BY updated_at, session_id`,
    );
    this.probe = db.prepare('SELECT count(*) AS n FROM schema_migrations');
  }
}

export class SqliteSessionStore implements SessionStore {
  readonly backend = 'sqlite' as const;
  readonly path: string;
  private readonly synchronous: SqliteSynchronous;
  private readonly busyTimeoutMs: number;
  private readonly locks = new KeyedFifoLock();
  private db: Database.Database | undefined;
  private sql: Statements | undefined;
  private schemaVersion = 0;
  private closed = false;
  /** Why the last open() failed (what health() reports until an open succeeds). */
  private openError: Error | undefined;

  constructor(options: SqliteSessionStoreOptions) {
    this.path = options.path;
    this.synchronous = options.synchronous ?? 'FULL';
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (this.synchronous !== 'FULL' && this.synchronous !== 'NORMAL')
      throw badStoreOption(
        'synchronous',
        `must be FULL or NORMAL, not ${String(this.synchronous)}`,
      );
    if (!Number.isSafeInteger(this.busyTimeoutMs) || this.busyTimeoutMs < 0)
      throw badStoreOption('busyTimeoutMs', 'must be an integer >= 0');
  }

  private get label(): string {
    return `session store ${this.path}`;
  }

  async open(): Promise<void> {
    if (this.closed) throw notOpen('sqlite', this.label, true);
    if (this.db !== undefined) return;
    let db: Database.Database | undefined;
    let step = 'create its folder';
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      step = 'create the database file';
      createPrivateFile(this.path);
      step = 'open the database';
      db = new Database(this.path, { fileMustExist: true, timeout: this.busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.synchronous}`);
      step = 'migrate the schema';
      this.schemaVersion = migrateSqlite(db, this.path).to;
      this.sql = new Statements(db);
      this.db = db;
      this.openError = undefined;
    } catch (e) {
      try {
        db?.close();
      } catch {
        // The open error is the one worth reporting.
      }
      this.openError = sqliteFailure(this.path, step, e);
      throw this.openError;
    }
  }

  async load(sessionId: string): Promise<SessionRecord | null> {
    const sql = this.statements();
    const id = checkSessionId(sessionId);
    let row: Row | undefined;
    try {
      row = sql.one.get(id);
    } catch (e) {
      throw sqliteFailure(this.path, `load session ${id}`, e);
    }
    return row === undefined ? null : toRecord(row);
  }

  async loadAllOpen(): Promise<SessionRecord[]> {
    const sql = this.statements();
    let rows: Row[];
    try {
      rows = sql.allOpen.all();
    } catch (e) {
      throw sqliteFailure(this.path, 'load the open sessions', e);
    }
    return rows.map(toRecord);
  }

  async save(req: SaveRequest): Promise<SessionRecord> {
    const sql = this.statements();
    const s = checkSave(req);
    const write = this.db!.transaction((): RecordMeta => {
      const stored = sql.meta.get(s.sessionId);
      const meta = planSave(
        stored === undefined
          ? null
          : {
              version: stored.version,
              walLsn: stored.wal_lsn,
              createdAt: stored.created_at,
              closedAt: stored.closed_at,
            },
        s,
      );
      const params = { ...meta, state: s.stateJson, expectedVersion: s.expectedVersion };
      if (stored === undefined) sql.insert.run(params);
      else if (sql.update.run(params).changes !== 1)
        throw new Error('the row changed inside BEGIN IMMEDIATE');
      return meta;
    });
    let meta: RecordMeta;
    try {
      meta = write.immediate();
    } catch (e) {
      throw sqliteFailure(this.path, `save session ${s.sessionId}`, e);
    }
    return savedRecord(meta, s.sessionId, s.stateJson);
  }

  async lockSession(sessionId: string): Promise<SessionLockRelease> {
    this.statements();
    return this.locks.acquire(checkSessionId(sessionId));
  }

  async listExpired(before: Date): Promise<string[]> {
    const sql = this.statements();
    const cutoff = checkCutoff(before);
    try {
      return sql.expired.all(cutoff).map((r) => r.session_id);
    } catch (e) {
      throw sqliteFailure(this.path, 'list expired sessions', e);
    }
  }

  async health(): Promise<StoreHealth> {
    if (this.openError !== undefined && !this.closed)
      return { ok: false, detail: this.openError.message };
    try {
      this.statements().probe.get();
      return { ok: true, detail: `sqlite ${this.path} (synchronous=${this.synchronous})` };
    } catch (e) {
      return { ok: false, detail: sqliteFailure(this.path, 'read the database', e).message };
    }
  }

  /** The settings in force on the connection (for diagnostics and tests). */
  async settings(): Promise<SqliteStoreSettings> {
    this.statements();
    const db = this.db!;
    try {
      const sync = db.pragma('synchronous', { simple: true }) as number;
      return {
        path: this.path,
        journalMode: String(db.pragma('journal_mode', { simple: true })),
        synchronous: SYNC_NAMES[sync] ?? 'OFF',
        busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })),
        schemaVersion: this.schemaVersion,
      };
    } catch (e) {
      throw sqliteFailure(this.path, 'read its settings', e);
    }
  }

  /**
   * PRAGMA wal_checkpoint(FULL): makes every earlier commit durable even under
   * synchronous=NORMAL. `busy` true means it could not complete (a reader or writer was active):
   * a WAL checkpoint must then not delete segments.
   */
  async checkpointFull(): Promise<{
    busy: boolean;
    logFrames: number;
    checkpointedFrames: number;
  }> {
    this.statements();
    try {
      const [r] = this.db!.pragma('wal_checkpoint(FULL)') as {
        busy: number;
        log: number;
        checkpointed: number;
      }[];
      return {
        busy: r === undefined || r.busy !== 0,
        logFrames: r?.log ?? 0,
        checkpointedFrames: r?.checkpointed ?? 0,
      };
    } catch (e) {
      throw sqliteFailure(this.path, 'checkpoint its WAL', e);
    }
  }

  async durabilityBarrier(): Promise<boolean> {
    if (this.synchronous === 'FULL') return true;
    return !(await this.checkpointFull()).busy;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.locks.close(notOpen('sqlite', this.label, true));
    const db = this.db;
    this.db = undefined;
    this.sql = undefined;
    try {
      db?.close();
    } catch (e) {
      throw sqliteFailure(this.path, 'close the database', e);
    }
  }

  private statements(): Statements {
    if (this.sql === undefined) throw notOpen('sqlite', this.label, this.closed);
    return this.sql;
  }
}

/** Creates the file readable by its owner only (SQLite gives its -wal/-shm files the same mode). */
function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

function toRecord(row: Row): SessionRecord {
  return {
    sessionId: row.session_id,
    status: row.status,
    state: stateFromJson(row.session_id, row.state),
    version: row.version,
    walLsn: row.wal_lsn,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
  };
}
