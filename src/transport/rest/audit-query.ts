// GET /v1/audit: reads the audit JSONL and returns the lines matching the filters, oldest first,
// a page at a time. The cursor is the `seq` of the last line returned (seq numbers are the line
// numbers of the hash chain, so the cursor stays valid as the log grows). A line still being
// written (no newline yet) is never returned. This is a linear scan of the file: fine for
// review and SIEM polling with a cursor; an index is future work.
import { promises as fsp } from 'node:fs';
import { readLines } from '../../audit/read-lines.ts';
import { NautilusError } from '../../errors.ts';
import type { Principal } from './auth.ts';
import type { AuditQuery } from './schemas.ts';

export const AUDIT_DEFAULT_LIMIT = 100;

export interface AuditPage {
  readonly entries: Record<string, unknown>[];
  readonly next_cursor: number | null;
}

type Line = Record<string, unknown>;

export async function readAuditPage(
  path: string,
  q: AuditQuery,
  principal: Principal,
): Promise<AuditPage> {
  if (q.agent !== undefined && !principal.anyAgent && !principal.agents.has(q.agent))
    throw new NautilusError(
      'NAU_AUTH_AGENT_FORBIDDEN',
      `API key ${principal.keyId ?? ''} may not read the audit lines of agent ${q.agent}`,
      403,
      { field: 'agent' },
    );
  const limit = q.limit ?? AUDIT_DEFAULT_LIMIT;
  const after = q.cursor ?? 0;
  const since = q.since === undefined ? null : Date.parse(q.since);
  const until = q.until === undefined ? null : Date.parse(q.until);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (x) {
    if ((x as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], next_cursor: null };
    throw new NautilusError('NAU_AUDIT_UNREADABLE', 'the audit log cannot be read', 500);
  }
  const entries: Line[] = [];
  let more = false;
  try {
    const lines = readLines(async (b, o, l, p) => (await fh.read(b, o, l, p)).bytesRead);
    for await (const raw of lines) {
      if (!raw.terminated || raw.line <= after) continue;
      let line: Line;
      try {
        line = JSON.parse(raw.bytes.toString('utf8')) as Line;
      } catch {
        continue; // `nautilus audit verify` reports damaged lines; a reader skips them
      }
      if (typeof line.seq !== 'number' || line.seq <= after) continue;
      if (!visible(line, principal) || !matches(line, q, since, until)) continue;
      if (entries.length === limit) {
        more = true;
        break;
      }
      entries.push(line);
    }
  } finally {
    await fh.close();
  }
  const last = entries.at(-1);
  return { entries, next_cursor: more && last !== undefined ? (last.seq as number) : null };
}

/** A key bound to agents sees the request lines of those agents only. */
function visible(line: Line, p: Principal): boolean {
  if (p.anyAgent) return true;
  return (
    line.kind === 'request' && typeof line.agent_id === 'string' && p.agents.has(line.agent_id)
  );
}

function matches(line: Line, q: AuditQuery, since: number | null, until: number | null): boolean {
  if (q.kind !== undefined && line.kind !== q.kind) return false;
  if (q.agent !== undefined && line.agent_id !== q.agent) return false;
  if (q.session !== undefined && line.session_id !== q.session) return false;
  if (q.outcome !== undefined && line.outcome !== q.outcome) return false;
  if (q.source !== undefined && !mentionsSource(line, q.source)) return false;
  if (since !== null || until !== null) {
    const ts = typeof line.ts === 'string' ? Date.parse(line.ts) : Number.NaN;
    if (!Number.isFinite(ts)) return false;
    if (since !== null && ts < since) return false;
    if (until !== null && ts >= until) return false;
  }
  return true;
}

function mentionsSource(line: Line, source: string): boolean {
  const ids = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  if (ids(line.sources_queried).includes(source)) return true;
  const named = (v: unknown) =>
    ids(v).some((x) => (x as { source_id?: unknown } | null)?.source_id === source);
  return named(line.sources_denied) || named(line.sources_failed);
}
