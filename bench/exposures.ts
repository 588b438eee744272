// The three sources the session and WAL benches use, and the one-exposure request ops they
// write: request `n` reads source `n % 3`, as a live request of the broker benches would.
import { requestOps, type SessionOp } from '../src/session/ops.ts';

export const BENCH_SOURCES = [
  { id: 'vulns', types: 'vulnerability', cls: 'cui' },
  { id: 'hosts', types: 'asset', cls: 'cui' },
  { id: 'tickets', types: 'ticket', cls: 'confidential' },
] as const;

export const BENCH_DATA_TYPES = BENCH_SOURCES.map((s) => s.types);

/** The ops of request `n` in a session: one exposure of source `n % 3`, and the session's
 *  purpose when `first`. */
export function exposureOps(o: {
  readonly sessionId: string;
  readonly requestId: string;
  readonly n: number;
  readonly timestamp: number;
  /** The exposure's query hash, from the id of the source it reads. */
  readonly queryHash: (sourceId: string) => string;
  readonly first: boolean;
}): SessionOp[] {
  const s = BENCH_SOURCES[o.n % BENCH_SOURCES.length] as (typeof BENCH_SOURCES)[number];
  return requestOps({
    sessionId: o.sessionId,
    requestId: o.requestId,
    agentId: 'analyst',
    timestamp: o.timestamp,
    exposures: [
      {
        sourceId: s.id,
        dataTypes: [s.types],
        classification: s.cls,
        fieldsReturned: ['id', 'name'],
        recordCount: 3,
        queryHash: o.queryHash(s.id),
      },
    ],
    ...(o.first ? { openPurpose: 'audit' } : {}),
  });
}
