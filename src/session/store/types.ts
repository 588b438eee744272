// The contract every session store implements (memory, sqlite, postgres). The SessionManager
// codes against this interface only; docs/sessions.md ("Stores") describes the semantics.

export type SessionStatus = 'open' | 'closed';

export type SessionStoreBackend = 'memory' | 'sqlite' | 'postgres';

export interface SessionRecord {
  readonly sessionId: string;
  readonly status: SessionStatus;
  /** Opaque JSON-serializable session state (the engine's fact snapshot + metadata). */
  readonly state: unknown;
  /** Incremented by every successful save; 0 = never saved. */
  readonly version: number;
  /** Highest WAL LSN whose effects `state` includes (0 without a WAL). Never decreases. */
  readonly walLsn: number;
  /** ISO-8601 (UTC, milliseconds). */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Set when the session was first saved as closed; null while open. */
  readonly closedAt: string | null;
}

export interface SaveRequest {
  readonly sessionId: string;
  readonly status: SessionStatus;
  readonly state: unknown;
  /** LSN of the last WAL record the state includes (0 without a WAL). */
  readonly walLsn: number;
  /** The version the caller last read or wrote (0 = the session must not exist yet). */
  readonly expectedVersion: number;
  /** The broker clock: becomes updatedAt (and createdAt/closedAt when they are set). */
  readonly now: Date;
}

export interface StoreHealth {
  readonly ok: boolean;
  readonly detail?: string;
}

/** Releases a session lock. Never throws; calling it again does nothing. */
export type SessionLockRelease = () => Promise<void>;

export interface SessionStore {
  readonly backend: SessionStoreBackend;
  /** Connects and runs the versioned schema migrations. Must finish before any other call. */
  open(): Promise<void>;
  load(sessionId: string): Promise<SessionRecord | null>;
  /** Every open session (startup deserialization), oldest first. */
  loadAllOpen(): Promise<SessionRecord[]>;
  /**
   * Writes state + walLsn + status atomically iff the stored version equals expectedVersion
   * (0 = must not exist yet); returns the new record. A mismatch is NAU_STORE_CONFLICT (409)
   * naming the session and both versions — never a silent overwrite.
   */
  save(req: SaveRequest): Promise<SessionRecord>;
  /**
   * Serializes whole requests on one session: in-process FIFO; postgres adds a session-level
   * advisory lock held on a dedicated connection, so processes sharing the database wait too.
   */
  lockSession(sessionId: string): Promise<SessionLockRelease>;
  /** Ids of open sessions whose updatedAt is strictly before `before`, oldest first. */
  listExpired(before: Date): Promise<string[]>;
  /** Never throws. */
  health(): Promise<StoreHealth>;
  /** Releases connections and file handles; later calls fail with NAU_STORE_UNAVAILABLE. */
  close(): Promise<void>;
  /**
   * Makes every save that returned so far durable against power loss; false when that could not
   * be done now (try again later). Absent: every save is durable when it returns. The WAL calls
   * it before deleting records a store holds (SQLite with synchronous=NORMAL needs it).
   */
  durabilityBarrier?(): Promise<boolean>;
}
