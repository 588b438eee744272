// The audit-log line schema (docs/audit.md). The log itself fills in the chain header
// (`v`, `seq`, `ts` when absent, `prev_hash`); callers hand it everything else.

/** Schema version written in every line's `v`. */
export const AUDIT_SCHEMA_VERSION = 1;

/** `prev_hash` of the first line of a file: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** Keys the log writes itself; an entry's own values for them are ignored. */
export const AUDIT_HEADER_KEYS = ['v', 'seq', 'ts', 'kind', 'prev_hash'] as const;

export type AuditOutcome = 'ok' | 'denied' | 'partial' | 'error';

export interface AuditIntentSummary {
  readonly data_types: readonly string[];
  readonly purpose: string | null;
  /** Number of filters the intent carried (their values are not logged). */
  readonly filters: number;
  readonly confidence: number | null;
  /** True for a structured query (`broker.query`), false for a natural-language intent. */
  readonly structured: boolean;
}

export interface AuditDeniedSource {
  readonly source_id: string;
  readonly reason: string;
  readonly rule: string;
}

export interface AuditFailedSource {
  readonly source_id: string;
  readonly error_class: string;
}

export interface AuditDurations {
  readonly analysis: number;
  readonly engine: number;
  readonly fetch: number;
  readonly attest: number;
  /** Time spent building the entry before the append (the append cannot time itself). */
  readonly audit: number;
  /** Wall time of the request up to the append. */
  readonly total: number;
}

/** One line per broker request (`kind: 'request'`). */
export interface RequestAuditEvent {
  readonly kind: 'request';
  /** ISO-8601 timestamp; the log stamps the current time when absent. */
  readonly ts?: string;
  readonly request_id: string;
  readonly agent_id: string;
  readonly session_id: string | null;
  readonly intent: AuditIntentSummary | null;
  /** Facts asserted for the request, counted by template name. */
  readonly facts_asserted: Readonly<Record<string, number>>;
  /** Rule names in firing order. */
  readonly rule_trace: readonly string[];
  readonly sources_queried: readonly string[];
  readonly sources_denied: readonly AuditDeniedSource[];
  readonly sources_skipped: readonly string[];
  readonly sources_failed: readonly AuditFailedSource[];
  readonly scope_hash: string;
  readonly durations_ms: AuditDurations;
  readonly outcome: AuditOutcome;
  readonly error_code?: string;
  readonly attestation_jti?: string;
}

/** One line when a session ends (closed by the caller or expired). */
export interface SessionClosedAuditEvent {
  readonly kind: 'session_closed';
  readonly ts?: string;
  readonly session_id: string;
  readonly reason: 'closed' | 'expired';
  /** The session's final exposure summary (free-form; written as given). */
  readonly summary?: Readonly<Record<string, unknown>>;
}

/** What callers append. */
export type AuditEvent = RequestAuditEvent | SessionClosedAuditEvent;

/** The chain header every line starts with. */
export interface AuditLineHeader {
  readonly v: number;
  readonly seq: number;
  readonly ts: string;
  readonly kind: string;
  readonly prev_hash: string;
}

/** A line as read back from disk. */
export type AuditEntry = AuditEvent & AuditLineHeader;
