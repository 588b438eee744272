// The caller's view of a session's cumulative exposure, built from its facts: the summary the
// policy maintains, the flags it raised, and every exposure with the request that caused it.
import type { SessionOp, SessionScalar, SessionValue } from '../session/ops.ts';

export interface ExposureSummary {
  /** The session's cumulative classification (escalated by flags such as PII + financial). */
  readonly classification: string | null;
  readonly data_types: readonly string[];
  readonly sources: readonly string[];
  readonly agents: readonly string[];
  readonly pii_sources: readonly string[];
  readonly flags: readonly string[];
  readonly exposures: number;
}

export interface ExposureEntry {
  readonly request_id: string;
  readonly agent_id: string;
  readonly source_id: string;
  readonly data_types: readonly string[];
  readonly classification: string;
  readonly fields_returned: readonly string[];
  readonly record_count: number;
  readonly timestamp: number;
  readonly query_hash: string;
}

export interface ExposureFlag {
  readonly flag: string;
  readonly detail: string;
  readonly request_id: string;
  readonly rule: string;
}

const list = (v: SessionValue | undefined): string[] =>
  Array.isArray(v) ? v.map((x: SessionScalar) => String(x)) : [];
const text = (v: SessionValue | undefined): string => (v === undefined ? '' : String(v));

export function exposureSummary(facts: readonly SessionOp[]): ExposureSummary {
  const s = facts.find((f) => f.template === 'session_summary')?.slots;
  const flags = facts.filter((f) => f.template === 'exposure_flag').map((f) => text(f.slots.flag));
  return {
    classification: s === undefined ? null : text(s.classification),
    data_types: list(s?.data_types),
    sources: list(s?.sources),
    agents: list(s?.agents),
    pii_sources: list(s?.pii_sources),
    flags: [...new Set([...list(s?.flags), ...flags])],
    exposures: facts.filter((f) => f.template === 'session_exposure').length,
  };
}

export function exposureEntries(facts: readonly SessionOp[]): ExposureEntry[] {
  return facts
    .filter((f) => f.template === 'session_exposure')
    .map(({ slots: x }) => ({
      request_id: text(x.request_id),
      agent_id: text(x.agent_id),
      source_id: text(x.source_id),
      data_types: list(x.data_types),
      classification: text(x.classification),
      fields_returned: list(x.fields_returned),
      record_count: Number(x.record_count ?? 0),
      timestamp: Number(x.timestamp ?? 0),
      query_hash: text(x.query_hash),
    }));
}

export function exposureFlags(facts: readonly SessionOp[]): ExposureFlag[] {
  return facts
    .filter((f) => f.template === 'exposure_flag')
    .map(({ slots: x }) => ({
      flag: text(x.flag),
      detail: text(x.detail),
      request_id: text(x.request_id),
      rule: text(x.rule),
    }));
}
