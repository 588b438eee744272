// node-postgres errors -> NAU_STORE_UNAVAILABLE. The message is ours: it names the operation and
// the SQLSTATE or socket code, never the DSN, host, SQL or server text (those stay on `cause`).
import { NautilusError } from '../../errors.ts';
import { storeUnavailable } from './errors.ts';

export const PG_LABEL = 'the PostgreSQL session store';

const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

function bySqlState(state: string): string {
  if (state === '57014') return 'a statement ran past statement_timeout';
  if (state === '55P03') return 'the session lock was not granted within lock_timeout';
  if (state === '3D000') return 'the database does not exist';
  if (state === '42501') return 'permission denied';
  if (state === '25006') return 'the server is read-only (a standby?)';
  if (state === '40001' || state === '40P01')
    return 'a transaction was aborted (serialization failure or deadlock)';
  if (state.startsWith('08') || state.startsWith('57P'))
    return 'the connection to the server failed';
  if (state.startsWith('53')) return 'the server is out of resources (connections, memory or disk)';
  if (state.startsWith('28')) return 'authentication failed';
  return 'the server rejected a statement';
}

function explain(e: unknown): { text: string; code: string } {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))
    return { text: bySqlState(code), code: `SQLSTATE ${code}` };
  if (typeof code === 'string' && NET_CODES.has(code))
    return { text: 'the server cannot be reached', code };
  // node-postgres' own errors carry no code; the ones that matter are recognised by their text.
  const message = e instanceof Error ? e.message : '';
  if (/timeout exceeded when trying to connect/i.test(message))
    return { text: 'no connection within the connect timeout', code: 'CONNECT_TIMEOUT' };
  if (/query read timeout/i.test(message))
    return { text: 'the server did not answer within the query timeout', code: 'QUERY_TIMEOUT' };
  if (
    /connection terminated|not queryable|client has encountered a connection error/i.test(message)
  )
    return { text: 'the connection was lost', code: 'CONNECTION_LOST' };
  if (/pool.*(ended|end)/i.test(message))
    return { text: 'the connection pool is closed', code: 'POOL_ENDED' };
  return { text: 'PostgreSQL failed', code: 'UNKNOWN' };
}

/** Any thrown value as a store error; NautilusErrors (conflicts, our own checks) pass through. */
export function pgFailure(operation: string, e: unknown): NautilusError {
  if (e instanceof NautilusError) return e;
  const { text, code } = explain(e);
  return storeUnavailable('postgres', `${PG_LABEL}: cannot ${operation}: ${text} (${code})`, e, {
    operation,
    error_code: code,
  });
}
