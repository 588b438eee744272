// better-sqlite3 / file-system errors -> NAU_STORE_UNAVAILABLE with a message naming the
// database file, what the store was doing and the SQLite (or errno) code. SQLite's own text is
// kept only on `cause`.
import { NautilusError } from '../../errors.ts';
import { storeUnavailable } from './errors.ts';

function explain(code: string): string {
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return 'the database stayed locked by another connection for longer than busy_timeout';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
    return 'the file is corrupt or is not a SQLite database';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return 'the disk is full';
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return 'an I/O error occurred';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'the database file cannot be opened';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return 'the database is read-only';
  if (code === 'SQLITE_PERM' || code === 'SQLITE_AUTH' || code === 'EACCES' || code === 'EPERM')
    return 'permission denied';
  if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST')
    return 'a path component is not what it should be (file vs folder)';
  return 'SQLite failed';
}

/** Any thrown value as a store error; NautilusErrors (conflicts, our own checks) pass through. */
export function sqliteFailure(path: string, operation: string, e: unknown): NautilusError {
  if (e instanceof NautilusError) return e;
  const raw = (e as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' && /^[A-Z][A-Z0-9_]*$/.test(raw) ? raw : 'UNKNOWN';
  return storeUnavailable(
    'sqlite',
    `session store ${path}: cannot ${operation}: ${explain(code)} (${code})`,
    e,
    { path, operation, error_code: code },
  );
}
