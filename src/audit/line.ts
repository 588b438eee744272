// Encoding of one audit line and the hash that chains it to the next one.
import { createHash } from 'node:crypto';
import { NautilusError } from '../errors.ts';
import { AUDIT_HEADER_KEYS, AUDIT_SCHEMA_VERSION, type AuditEvent } from './entry.ts';

const HEADER_KEYS: ReadonlySet<string> = new Set(AUDIT_HEADER_KEYS);

/** SHA-256 hex of a line's exact bytes, without its terminating newline. */
export function hashLine(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Serializes the event's own fields (everything but the chain header) to a JSON object text.
 * Done before a sequence number is taken, so an unserializable entry consumes nothing.
 */
export function encodeAuditBody(event: AuditEvent): string {
  if (typeof event !== 'object' || event === null) {
    throw new NautilusError('NAU_AUDIT_INVALID_ENTRY', 'audit entry must be an object', 500);
  }
  const kind: unknown = event.kind;
  if (typeof kind !== 'string' || kind === '') {
    throw new NautilusError('NAU_AUDIT_INVALID_ENTRY', 'audit entry has no `kind`', 500);
  }
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (!HEADER_KEYS.has(key)) body[key] = value;
  }
  try {
    return JSON.stringify(body);
  } catch (err) {
    throw new NautilusError(
      'NAU_AUDIT_INVALID_ENTRY',
      `audit entry (kind ${event.kind}) is not serializable as JSON: ${(err as Error).message}`,
      500,
    );
  }
}

/** The full line text (no newline): header first, then the body's fields in their order. */
export function composeAuditLine(
  body: string,
  header: { seq: number; ts: string; kind: string; prevHash: string },
): string {
  const head =
    `{"v":${AUDIT_SCHEMA_VERSION},"seq":${header.seq},"ts":${JSON.stringify(header.ts)},` +
    `"kind":${JSON.stringify(header.kind)},"prev_hash":"${header.prevHash}"`;
  return body === '{}' ? `${head}}` : `${head},${body.slice(1)}`;
}
