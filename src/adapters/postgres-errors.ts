// PostgreSQL / node-postgres errors -> AdapterFailure. The class comes from the SQLSTATE (or the
// Node socket error code); the message is ours and names at most the SQLSTATE, because server
// messages can quote values, SQL and object names, and client messages can quote the DSN.
import { AdapterFailure, type AdapterFailureClass } from './failure.ts';

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

interface Rule {
  readonly cls: AdapterFailureClass;
  readonly text: string;
  readonly scope?: true;
}

function bySqlState(state: string): Rule {
  if (state === '57014') return { cls: 'timeout', text: 'the query exceeded statement_timeout' };
  if (state === '25006')
    return { cls: 'internal', text: 'the query tried to write inside a read-only transaction' };
  if (state === '42P01') return { cls: 'internal', text: 'the source table does not exist' };
  if (state === '42501') return { cls: 'internal', text: 'permission denied on the source table' };
  if (state === '42703')
    return {
      cls: 'scope_rejected',
      text: 'a field is not a column of the source table',
      scope: true,
    };
  if (state === '42883' || state === '42804')
    return {
      cls: 'scope_rejected',
      text: 'an operator or value does not apply to the column type',
      scope: true,
    };
  if (state.startsWith('22'))
    return {
      cls: 'scope_rejected',
      text: 'a scope value does not fit the column type',
      scope: true,
    };
  if (state.startsWith('08') || state.startsWith('53') || state.startsWith('57P'))
    return { cls: 'connection', text: 'the database connection failed' };
  if (state.startsWith('28'))
    return { cls: 'connection', text: 'authentication to the database failed' };
  if (state === '3D000') return { cls: 'connection', text: 'the database does not exist' };
  return { cls: 'internal', text: 'PostgreSQL rejected the query' };
}

export function pgFailure(e: unknown, sourceId: string): AdapterFailure {
  if (e instanceof AdapterFailure) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : '';
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    const r = bySqlState(code);
    return new AdapterFailure(r.cls, sourceId, `${r.text} (SQLSTATE ${code})`, {
      ...(r.scope ? { code: 'NAU_SCOPE_INVALID', status: 400 } : {}),
      cause: e,
      detail: { sqlstate: code },
    });
  }
  if (typeof code === 'string' && NET_CODES.has(code))
    return new AdapterFailure('connection', sourceId, `cannot reach the database (${code})`, {
      cause: e,
    });
  // node-postgres' own errors have no code; the two that matter are recognised by their text.
  if (/timeout exceeded when trying to connect/i.test(message))
    return new AdapterFailure('timeout', sourceId, 'no database connection within the deadline', {
      cause: e,
    });
  return new AdapterFailure('connection', sourceId, 'the database connection failed', { cause: e });
}
