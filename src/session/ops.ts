// Session operations: the facts a request adds to its session (one exposure per source read, the
// session's purpose on its first request). Live requests, restores from the store and WAL replay
// all apply them through the same path (SessionEngine.apply), so the three cannot drift apart.

/** One fact to assert into working memory: a template and JSON-safe slot values. */
export interface SessionOp {
  readonly template: string;
  readonly slots: Readonly<Record<string, SessionValue>>;
}

export type SessionScalar = string | number | boolean;
export type SessionValue = SessionScalar | readonly SessionScalar[];

/** What one successful source access exposed. */
export interface Exposure {
  readonly sourceId: string;
  readonly dataTypes: readonly string[];
  readonly classification: string;
  readonly fieldsReturned: readonly string[];
  readonly recordCount: number;
  readonly queryHash: string;
}

/** The ops for one request: its exposures, and the session's purpose when it is new. */
export function requestOps(args: {
  readonly sessionId: string;
  readonly requestId: string;
  readonly agentId: string;
  /** Epoch seconds (the broker clock); WAL replay reuses the recorded value. */
  readonly timestamp: number;
  readonly exposures: readonly Exposure[];
  /** Set on a session's first request: the purpose it was opened for. */
  readonly openPurpose?: string | null;
}): SessionOp[] {
  const ops: SessionOp[] = [];
  if (args.openPurpose !== undefined && args.openPurpose !== null) {
    ops.push({
      template: 'session_purpose',
      slots: {
        session_id: args.sessionId,
        purpose: args.openPurpose,
        started_at: args.timestamp,
      },
    });
  }
  for (const e of args.exposures) {
    ops.push({
      template: 'session_exposure',
      slots: {
        session_id: args.sessionId,
        request_id: args.requestId,
        agent_id: args.agentId,
        source_id: e.sourceId,
        data_types: [...e.dataTypes],
        classification: e.classification,
        fields_returned: [...e.fieldsReturned],
        record_count: e.recordCount,
        timestamp: args.timestamp,
        query_hash: e.queryHash,
      },
    });
  }
  return ops;
}

/** Checks that a value read back from a store or the WAL has the shape of a list of ops. */
export function isSessionOps(value: unknown): value is SessionOp[] {
  if (!Array.isArray(value)) return false;
  return value.every(
    (op) =>
      typeof op === 'object' &&
      op !== null &&
      typeof (op as SessionOp).template === 'string' &&
      typeof (op as SessionOp).slots === 'object' &&
      (op as SessionOp).slots !== null,
  );
}
