// Pipeline step 5: the scoped queries to the routed sources, concurrently, each with its own
// deadline. A failing source is reported by its error class and never fails the request.
// Adapters are called through runWithTimeout (docs/adapters.md), so a custom adapter's result is
// shape-checked and capped at max_rows like a built-in one's, and records leave as plain JSON.
import { isAdapterFailure } from '../adapters/failure.ts';
import { runWithTimeout } from '../adapters/run.ts';
import type { Adapter, AdapterContext, AdapterIntent, ScopeConstraint } from '../adapters/types.ts';
import { toJsonRecords } from './json-records.ts';

export interface FetchJob {
  readonly sourceId: string;
  readonly adapter: Adapter;
  readonly scope: readonly ScopeConstraint[];
  readonly timeoutMs: number;
  /** The source's row cap, enforced here too (a custom adapter may ignore it). */
  readonly maxRows: number;
}

export interface SourceData {
  readonly records: Record<string, unknown>[];
  readonly record_count: number;
  readonly truncated: boolean;
  readonly duration_ms: number;
  readonly scope_applied: readonly string[];
}

export interface SourceFailure {
  readonly source_id: string;
  readonly error_class: string;
}

export interface FetchResult {
  readonly data: ReadonlyMap<string, SourceData>;
  readonly failed: readonly SourceFailure[];
  /** Time each source's query took (ms), failed ones included. */
  readonly durations: ReadonlyMap<string, number>;
}

/** Extra time an adapter gets past its own deadline before the broker gives up on it. */
const GRACE_MS = 1000;

export async function fetchAll(
  jobs: readonly FetchJob[],
  intent: AdapterIntent,
  base: Omit<AdapterContext, 'signal'>,
  onError: (sourceId: string, error: unknown) => void,
): Promise<FetchResult> {
  const settled = await Promise.all(jobs.map((j) => runOne(j, intent, base, onError)));
  const data = new Map<string, SourceData>();
  const failed: SourceFailure[] = [];
  const durations = new Map<string, number>();
  jobs.forEach((j, i) => {
    const r = settled[i];
    if (r === undefined) return;
    durations.set(j.sourceId, r.ms);
    if ('error_class' in r.result) failed.push(r.result);
    else data.set(j.sourceId, r.result);
  });
  return { data, failed, durations };
}

async function runOne(
  job: FetchJob,
  intent: AdapterIntent,
  base: Omit<AdapterContext, 'signal'>,
  onError: (sourceId: string, error: unknown) => void,
): Promise<{ result: SourceData | SourceFailure; ms: number }> {
  const started = performance.now();
  const result = await runJob(job, intent, base, onError, started);
  return { result, ms: performance.now() - started };
}

async function runJob(
  job: FetchJob,
  intent: AdapterIntent,
  base: Omit<AdapterContext, 'signal'>,
  onError: (sourceId: string, error: unknown) => void,
  started: number,
): Promise<SourceData | SourceFailure> {
  try {
    // The adapter enforces timeout_ms itself (and says why it gave up); the hard deadline
    // here, a little later, covers an adapter that does not.
    const result = await runWithTimeout(
      job.adapter,
      intent,
      job.scope,
      { ...base, signal: new AbortController().signal },
      { timeoutMs: job.timeoutMs + GRACE_MS, maxRows: job.maxRows },
    );
    const records = toJsonRecords(result.records);
    return {
      records,
      record_count: records.length,
      truncated: result.truncated,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      scope_applied: result.scopeApplied,
    };
  } catch (x) {
    onError(job.sourceId, x);
    return {
      source_id: job.sourceId,
      error_class: isAdapterFailure(x) ? x.failureClass : 'internal',
    };
  }
}
