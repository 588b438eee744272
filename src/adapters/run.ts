// The broker's way to call any adapter: a hard deadline around execute, the caller's abort
// passed through, the result shape checked (third-party adapters included), and every error
// turned into an AdapterFailure, so one source failing never fails the request.
import { AdapterFailure, toAdapterFailure } from './failure.ts';
import type {
  Adapter,
  AdapterContext,
  AdapterIntent,
  AdapterResult,
  ScopeConstraint,
} from './types.ts';

export interface RunOptions {
  /** Hard deadline for the whole call; the adapter's signal aborts when it passes. */
  readonly timeoutMs: number;
  /** When set, rows past it are dropped and `truncated` is set (a guard for custom adapters). */
  readonly maxRows?: number;
}

function checkResult(sourceId: string, r: unknown): AdapterResult {
  const bad = (what: string) =>
    new AdapterFailure('invalid_response', sourceId, `the adapter returned ${what}`);
  if (typeof r !== 'object' || r === null) throw bad('no result object');
  const o = r as Record<string, unknown>;
  if (!Array.isArray(o.records)) throw bad('no records list');
  if (o.records.some((x) => typeof x !== 'object' || x === null || Array.isArray(x)))
    throw bad('a record that is not an object');
  if (typeof o.truncated !== 'boolean') throw bad('no truncated flag');
  if (!Array.isArray(o.scopeApplied) || o.scopeApplied.some((s) => typeof s !== 'string'))
    throw bad('no scopeApplied list');
  return r as AdapterResult;
}

/** Runs `adapter.execute` under a deadline. Resolves with the result or rejects with AdapterFailure. */
export async function runWithTimeout(
  adapter: Adapter,
  intent: AdapterIntent,
  scope: readonly ScopeConstraint[],
  ctx: AdapterContext,
  options: RunOptions,
): Promise<AdapterResult> {
  const id = adapter.sourceId;
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(ctx.signal.reason);
  if (ctx.signal.aborted) throw new AdapterFailure('timeout', id, 'the request was cancelled');
  ctx.signal.addEventListener('abort', onParentAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new AdapterFailure('timeout', id, `no answer within ${options.timeoutMs} ms`));
      controller.abort(new Error('deadline'));
    }, options.timeoutMs);
    controller.signal.addEventListener(
      'abort',
      () => reject(new AdapterFailure('timeout', id, 'the request was cancelled')),
      { once: true },
    );
  });
  try {
    const call = Promise.resolve().then(() =>
      adapter.execute(intent, scope, { ...ctx, signal: controller.signal }),
    );
    const result = checkResult(id, await Promise.race([call, deadline]));
    const max = options.maxRows;
    if (max !== undefined && result.records.length > max)
      return { ...result, records: result.records.slice(0, max), truncated: true };
    return result;
  } catch (e) {
    throw toAdapterFailure(e, id);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onParentAbort);
  }
}
