// Sessions in a Map: same semantics as the durable stores (version checks, JSON round trip,
// FIFO session locks) but NOT durable — everything is lost when the process ends. For tests,
// demos and the explicit `on_failure: fallback_memory` degraded mode.
import { notOpen } from './errors.ts';
import { KeyedFifoLock } from './keyed-lock.ts';
import { checkCutoff, checkSave, checkSessionId, planSave, type RecordMeta } from './save-plan.ts';
import { savedRecord, stateFromJson } from './state-json.ts';
import type { SaveRequest, SessionLockRelease, SessionRecord, SessionStore } from './types.ts';

interface Row {
  readonly meta: RecordMeta;
  readonly json: string;
}

const LABEL = 'the memory session store';

export class MemorySessionStore implements SessionStore {
  readonly backend = 'memory' as const;
  private readonly rows = new Map<string, Row>();
  private readonly locks = new KeyedFifoLock();
  private phase: 'new' | 'open' | 'closed' = 'new';

  async open(): Promise<void> {
    if (this.phase === 'closed') throw notOpen('memory', LABEL, true);
    this.phase = 'open';
  }

  async load(sessionId: string): Promise<SessionRecord | null> {
    this.requireOpen();
    const row = this.rows.get(checkSessionId(sessionId));
    return row === undefined ? null : toRecord(row);
  }

  async loadAllOpen(): Promise<SessionRecord[]> {
    this.requireOpen();
    return [...this.rows.values()]
      .filter((r) => r.meta.status === 'open')
      .sort((a, b) => compare(a.meta.createdAt, b.meta.createdAt, a, b))
      .map(toRecord);
  }

  async save(req: SaveRequest): Promise<SessionRecord> {
    this.requireOpen();
    const s = checkSave(req);
    const stored = this.rows.get(s.sessionId);
    const row: Row = { meta: planSave(stored?.meta ?? null, s), json: s.stateJson };
    this.rows.set(s.sessionId, row);
    return savedRecord(row.meta, s.sessionId, row.json);
  }

  async lockSession(sessionId: string): Promise<SessionLockRelease> {
    this.requireOpen();
    return this.locks.acquire(checkSessionId(sessionId));
  }

  async listExpired(before: Date): Promise<string[]> {
    this.requireOpen();
    const cutoff = checkCutoff(before);
    return [...this.rows.values()]
      .filter((r) => r.meta.status === 'open' && r.meta.updatedAt < cutoff)
      .sort((a, b) => compare(a.meta.updatedAt, b.meta.updatedAt, a, b))
      .map((r) => r.meta.sessionId);
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    if (this.phase !== 'open')
      return { ok: false, detail: notOpen('memory', LABEL, this.phase === 'closed').message };
    return { ok: true, detail: 'memory store: sessions are not durable' };
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.locks.close(notOpen('memory', LABEL, true));
    this.rows.clear();
  }

  private requireOpen(): void {
    if (this.phase !== 'open') throw notOpen('memory', LABEL, this.phase === 'closed');
  }
}

function toRecord(row: Row): SessionRecord {
  return { ...row.meta, state: stateFromJson(row.meta.sessionId, row.json) };
}

function compare(x: string, y: string, a: Row, b: Row): number {
  if (x !== y) return x < y ? -1 : 1;
  return a.meta.sessionId < b.meta.sessionId ? -1 : a.meta.sessionId > b.meta.sessionId ? 1 : 0;
}
