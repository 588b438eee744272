// Advisory lock keys. Session locks use the single-bigint key space, keyed by a stable hash of
// the session id (the first 8 bytes of SHA-256, as a signed 64-bit integer); the migration lock
// uses the two-int4 key space, which PostgreSQL keeps apart, so the two can never collide.
import { createHash } from 'node:crypto';

/** 'NAUT' as an int4: the class of Nautilus's two-key advisory locks. */
export const NAUTILUS_LOCK_CLASS = 0x4e415554;
/** Object id of the schema-migration lock within NAUTILUS_LOCK_CLASS. */
export const MIGRATION_LOCK_ID = 1;

/** The session's advisory lock key, as decimal text (pass it as `$n::bigint`). */
export function sessionLockKey(sessionId: string): string {
  const digest = createHash('sha256').update(`nautilus/session/${sessionId}`, 'utf8').digest();
  return digest.readBigInt64BE(0).toString();
}
