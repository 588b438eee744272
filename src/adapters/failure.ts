// How an adapter fails. A failure has a class the broker can act on (report, retry, alert) and a
// message written by us: driver errors can carry DSNs, host names, SQL or row data, so their text
// never reaches a message. The raw error stays on a non-enumerable `cause`, which loggers print
// (util.inspect shows it) and JSON.stringify leaves out.
import { NautilusError } from '../errors.ts';

export const ADAPTER_FAILURE_CLASSES = [
  'timeout',
  'connection',
  'scope_rejected',
  'upstream_status',
  'invalid_response',
  'ssrf_blocked',
  'redirect_blocked',
  'internal',
] as const;

export type AdapterFailureClass = (typeof ADAPTER_FAILURE_CLASSES)[number];

const DEFAULTS: Record<AdapterFailureClass, { code: `NAU_${string}`; status: number }> = {
  timeout: { code: 'NAU_ADAPTER_TIMEOUT', status: 504 },
  connection: { code: 'NAU_ADAPTER_CONNECTION', status: 502 },
  scope_rejected: { code: 'NAU_SCOPE_INVALID', status: 400 },
  upstream_status: { code: 'NAU_ADAPTER_UPSTREAM_STATUS', status: 502 },
  invalid_response: { code: 'NAU_ADAPTER_INVALID_RESPONSE', status: 502 },
  ssrf_blocked: { code: 'NAU_ADAPTER_SSRF_BLOCKED', status: 403 },
  redirect_blocked: { code: 'NAU_ADAPTER_REDIRECT_BLOCKED', status: 502 },
  internal: { code: 'NAU_ADAPTER_INTERNAL', status: 500 },
};

export interface AdapterFailureOptions {
  readonly code?: `NAU_${string}`;
  readonly status?: number;
  /** The raw error, for logs only. */
  readonly cause?: unknown;
  /** Extra safe fields (no driver text), e.g. `{ constraint: 2, field: 'ts' }`. */
  readonly detail?: Record<string, unknown>;
}

export class AdapterFailure extends NautilusError {
  declare readonly cause?: unknown;

  constructor(
    readonly failureClass: AdapterFailureClass,
    readonly sourceId: string,
    /** Safe text: never interpolate a driver error message into it. */
    message: string,
    options: AdapterFailureOptions = {},
  ) {
    const d = DEFAULTS[failureClass];
    super(options.code ?? d.code, `source ${sourceId}: ${message}`, options.status ?? d.status, {
      ...options.detail,
      source_id: sourceId,
      failure_class: failureClass,
    });
    this.name = 'AdapterFailure';
    if (options.cause !== undefined)
      Object.defineProperty(this, 'cause', {
        value: options.cause,
        enumerable: false,
        writable: false,
        configurable: true,
      });
  }
}

export function isAdapterFailure(e: unknown): e is AdapterFailure {
  return e instanceof AdapterFailure;
}

/**
 * Any thrown value as an AdapterFailure: failures pass through, a NautilusError keeps its code and
 * (our own) message, anything else becomes `internal` with a fixed message.
 */
export function toAdapterFailure(e: unknown, sourceId: string): AdapterFailure {
  if (e instanceof AdapterFailure) return e;
  if (e instanceof NautilusError) {
    const prefix = `source ${sourceId}: `;
    const text = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    const cls: AdapterFailureClass = e.status === 400 ? 'scope_rejected' : 'internal';
    return new AdapterFailure(cls, sourceId, text, {
      code: e.code,
      status: e.status,
      cause: e,
      detail: { ...e.detail },
    });
  }
  return new AdapterFailure('internal', sourceId, 'the adapter failed unexpectedly', { cause: e });
}
