// Store errors. Every backend failure becomes NAU_STORE_UNAVAILABLE (503) with a message we
// write (driver messages can quote DSNs, SQL or state), the raw error kept on a non-enumerable
// `cause`: loggers print it (util.inspect), JSON.stringify and API responses leave it out.
import { NautilusError, type NautilusErrorDetail } from '../../errors.ts';
import type { SessionStoreBackend } from './types.ts';

export class SessionStoreError extends NautilusError {
  declare readonly cause?: unknown;

  constructor(
    code: `NAU_${string}`,
    message: string,
    status: number,
    detail: NautilusErrorDetail,
    cause?: unknown,
  ) {
    super(code, message, status, detail);
    this.name = 'SessionStoreError';
    if (cause !== undefined)
      Object.defineProperty(this, 'cause', {
        value: cause,
        enumerable: false,
        writable: false,
        configurable: true,
      });
  }
}

export function storeUnavailable(
  backend: SessionStoreBackend,
  message: string,
  cause?: unknown,
  detail: NautilusErrorDetail = {},
): SessionStoreError {
  return new SessionStoreError(
    'NAU_STORE_UNAVAILABLE',
    message,
    503,
    { ...detail, backend },
    cause,
  );
}

export function storeConflict(
  sessionId: string,
  expectedVersion: number,
  actualVersion: number,
): SessionStoreError {
  const found = actualVersion === 0 ? 'it does not exist' : `it is at version ${actualVersion}`;
  const expected =
    expectedVersion === 0 ? 'expected it not to exist yet' : `expected version ${expectedVersion}`;
  return new SessionStoreError(
    'NAU_STORE_CONFLICT',
    `session ${sessionId} was not saved: ${expected}, but ${found} (another writer saved it first; reload and retry)`,
    409,
    { session_id: sessionId, expected_version: expectedVersion, actual_version: actualVersion },
  );
}

export function schemaTooNew(
  backend: SessionStoreBackend,
  where: string,
  found: number,
  known: number,
): SessionStoreError {
  return new SessionStoreError(
    'NAU_STORE_SCHEMA_TOO_NEW',
    `${where} has schema version ${found}, but this Nautilus knows versions up to ${known}; ` +
      'it was written by a newer Nautilus: upgrade, or point session_store at another database',
    500,
    { backend, schema_version: found, known_version: known },
  );
}

/** A save request the store refuses to write (a caller bug, or state JSON cannot carry). */
export function invalidSave(sessionId: string, field: string, message: string): SessionStoreError {
  return new SessionStoreError(
    'NAU_STORE_INVALID',
    `session ${sessionId}: ${field} ${message}`,
    500,
    {
      session_id: sessionId,
      field,
    },
  );
}

/** An argument the store refuses (a caller bug). */
export function invalidArgument(field: string, message: string): SessionStoreError {
  return new SessionStoreError('NAU_STORE_INVALID', `${field} ${message}`, 500, { field });
}

/** A store option or config value that cannot work (names the config key). */
export function badStoreOption(field: string, message: string): SessionStoreError {
  return new SessionStoreError('NAU_STORE_CONFIG', `${field} ${message}`, 500, { field });
}

/** A stored row that cannot be read back (edited or damaged outside Nautilus). */
export function corruptRow(sessionId: string, what: string, cause?: unknown): SessionStoreError {
  return new SessionStoreError(
    'NAU_STORE_CORRUPT',
    `session ${sessionId}: the stored ${what}`,
    500,
    { session_id: sessionId },
    cause,
  );
}

export function notOpen(backend: SessionStoreBackend, label: string, closed: boolean) {
  return storeUnavailable(
    backend,
    closed ? `${label} is closed` : `${label} is not open (call open() first)`,
  );
}
