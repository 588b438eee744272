// Shared pieces of the audit tests: temp dirs, a sample request event, and an fs layer that
// records the order of operations and can inject faults.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditFileHandle,
  type AuditFs,
  nodeAuditFs,
  type RequestAuditEvent,
} from '../../src/audit/index.ts';

export function tempLogPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'nautilus-audit-')), 'audit.jsonl');
}

export function requestEvent(n: number, extra: Partial<RequestAuditEvent> = {}): RequestAuditEvent {
  return {
    kind: 'request',
    request_id: `req-${n}`,
    agent_id: 'agent-a',
    session_id: 'sess-1',
    intent: {
      data_types: ['pii'],
      purpose: 'support',
      filters: 1,
      confidence: 0.9,
      structured: false,
    },
    facts_asserted: { request: 1, intent: 1 },
    rule_trace: ['route-pii', 'deny-secret'],
    sources_queried: ['crm'],
    sources_denied: [{ source_id: 'hr', reason: 'classification', rule: 'deny-secret' }],
    sources_skipped: [],
    sources_failed: [],
    scope_hash: 'a'.repeat(64),
    durations_ms: { analysis: 1, engine: 2, fetch: 3, attest: 1, audit: 0, total: 7 },
    outcome: 'ok',
    ...extra,
  };
}

export function readLinesOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((l) => l !== '');
}

export interface Faults {
  /** Largest number of bytes one append call writes (simulates short writes). */
  maxWrite?: number;
  /** Throw this from the nth append call (1-based), and every later one. */
  failWriteAt?: number;
  /** Throw this from the nth sync call (1-based), and every later one. */
  failSyncAt?: number;
}

function eio(op: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`EIO: i/o error, ${op}`);
  e.code = 'EIO';
  return e;
}

/** The real file system, with each operation recorded in `events` and optional faults. */
export function recordingFs(events: string[], faults: Faults = {}): AuditFs {
  let writes = 0;
  let syncs = 0;
  return {
    async open(path, mode) {
      const { handle, created } = await nodeAuditFs.open(path, mode);
      const wrapped: AuditFileHandle = {
        size: () => handle.size(),
        read: (b, o, l, p) => handle.read(b, o, l, p),
        async append(buffer, offset, length) {
          writes++;
          if (faults.failWriteAt !== undefined && writes >= faults.failWriteAt) {
            events.push('write:EIO');
            throw eio('write');
          }
          const n = await handle.append(
            buffer,
            offset,
            Math.min(length, faults.maxWrite ?? length),
          );
          events.push(`write:${n}`);
          return n;
        },
        async sync() {
          syncs++;
          if (faults.failSyncAt !== undefined && syncs >= faults.failSyncAt) {
            events.push('sync:EIO');
            throw eio('fsync');
          }
          await handle.sync();
          events.push('sync');
        },
        async truncate(size) {
          events.push(`truncate:${size}`);
          await handle.truncate(size);
        },
        close: () => handle.close(),
      };
      return { handle: wrapped, created };
    },
    syncDir: (p) => nodeAuditFs.syncDir(p),
  };
}
