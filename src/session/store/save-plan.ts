// What a save writes, decided once for all backends: request checks, the version check, and how
// version, timestamps and wal_lsn move. The PostgreSQL store does the same in one SQL statement
// (postgres-sql.ts); the shared contract tests keep the two in step.
import { invalidArgument, invalidSave, storeConflict } from './errors.ts';
import { stateToJson } from './state-json.ts';
import type { SaveRequest, SessionRecord, SessionStatus } from './types.ts';

/** Longest session id a store accepts (PostgreSQL btree entries must stay well under 2.7 kB). */
export const MAX_SESSION_ID_LENGTH = 512;

/** A save request, checked, with its state as JSON text. */
export interface CheckedSave {
  readonly sessionId: string;
  readonly status: SessionStatus;
  readonly stateJson: string;
  readonly walLsn: number;
  readonly expectedVersion: number;
  readonly now: string;
}

/** The row fields besides state, as they are before a save. */
export interface StoredMeta {
  readonly version: number;
  readonly walLsn: number;
  readonly createdAt: string;
  readonly closedAt: string | null;
}

export type RecordMeta = Omit<SessionRecord, 'state'>;

export function checkSessionId(sessionId: unknown): string {
  if (typeof sessionId !== 'string' || sessionId.length === 0)
    throw invalidArgument('sessionId', 'must be a non-empty string');
  if (sessionId.length > MAX_SESSION_ID_LENGTH)
    throw invalidArgument('sessionId', `is longer than ${MAX_SESSION_ID_LENGTH} characters`);
  if (/\0|\p{Cs}/u.test(sessionId))
    throw invalidArgument('sessionId', 'holds U+0000 or an unpaired surrogate');
  return sessionId;
}

const counter = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

export function checkSave(req: SaveRequest): CheckedSave {
  const id = checkSessionId(req.sessionId);
  if (req.status !== 'open' && req.status !== 'closed')
    throw invalidSave(id, 'status', `must be open or closed, not ${JSON.stringify(req.status)}`);
  if (!counter(req.expectedVersion))
    throw invalidSave(id, 'expectedVersion', `must be an integer >= 0, not ${req.expectedVersion}`);
  if (!counter(req.walLsn))
    throw invalidSave(id, 'walLsn', `must be an integer >= 0, not ${req.walLsn}`);
  if (!(req.now instanceof Date) || Number.isNaN(req.now.getTime()))
    throw invalidSave(id, 'now', 'must be a valid Date');
  return {
    sessionId: id,
    status: req.status,
    stateJson: stateToJson(id, req.state),
    walLsn: req.walLsn,
    expectedVersion: req.expectedVersion,
    now: req.now.toISOString(),
  };
}

/**
 * The row after the save, or NAU_STORE_CONFLICT when `stored` is not at the expected version.
 * wal_lsn keeps the larger value: state is cumulative, so a save without WAL information
 * (walLsn 0) still includes every record an earlier save did.
 */
export function planSave(stored: StoredMeta | null, s: CheckedSave): RecordMeta {
  const actual = stored?.version ?? 0;
  if (actual !== s.expectedVersion) throw storeConflict(s.sessionId, s.expectedVersion, actual);
  const closedAt = s.status === 'closed' ? (stored?.closedAt ?? s.now) : null;
  return {
    sessionId: s.sessionId,
    status: s.status,
    version: actual + 1,
    walLsn: Math.max(stored?.walLsn ?? 0, s.walLsn),
    createdAt: stored?.createdAt ?? s.now,
    updatedAt: s.now,
    closedAt,
  };
}

/** `listExpired`'s cutoff as ISO text. */
export function checkCutoff(before: Date): string {
  if (!(before instanceof Date) || Number.isNaN(before.getTime()))
    throw invalidArgument('before', 'must be a valid Date');
  return before.toISOString();
}
