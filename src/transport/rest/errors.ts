// Every error answer has one shape: `{error: {code, message, detail?}}` with the NautilusError's
// status. Client errors (4xx) keep their detail (minus any `cause`); server errors keep only
// code and message; anything that is not a NautilusError becomes a bare 500 NAU_INTERNAL, so
// driver messages, SQL, paths or stacks never reach a caller (they go to the log instead).
import { NautilusError } from '../../errors.ts';

export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly detail?: Readonly<Record<string, unknown>>;
  };
}

/** Fastify's own client errors, by code, as Nautilus errors. */
const FASTIFY_ERRORS: Readonly<Record<string, { code: `NAU_${string}`; message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'NAU_REQUEST_TOO_LARGE',
    message: 'the request body is larger than api.body_limit_bytes',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'NAU_REQUEST_MEDIA_TYPE',
    message: 'the request body must be application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'NAU_REQUEST_INVALID',
    message: 'the request body is empty; send a JSON object',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'NAU_REQUEST_INVALID',
    message: 'the request body is not valid JSON',
  },
};

/** The NautilusError to answer with for anything a handler or fastify threw. */
export function toNautilusError(x: unknown): NautilusError {
  if (x instanceof NautilusError) return x;
  const e = x as { code?: unknown; statusCode?: unknown; name?: unknown };
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (typeof e?.code === 'string') {
    const known = FASTIFY_ERRORS[e.code];
    if (known !== undefined) return new NautilusError(known.code, known.message, status);
  }
  // A JSON parse error from fastify's body parser.
  if (status === 400 && e?.name === 'SyntaxError')
    return new NautilusError('NAU_REQUEST_INVALID', 'the request body is not valid JSON', 400);
  if (status >= 400 && status < 500)
    return new NautilusError('NAU_REQUEST_INVALID', 'the request is malformed', status);
  return new NautilusError('NAU_INTERNAL', 'internal error', 500);
}

export function errorBody(err: NautilusError): ErrorBody {
  const detail = err.status < 500 ? publicDetail(err.detail) : undefined;
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(detail === undefined ? {} : { detail }),
    },
  };
}

function publicDetail(
  detail: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(detail)) if (k !== 'cause') out[k] = v;
  return Object.keys(out).length === 0 ? undefined : out;
}
