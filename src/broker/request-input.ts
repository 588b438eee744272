// Validation of what a caller hands the broker besides the intent: the agent id and the request
// context. Unknown keys are refused (a misspelt `purpose` must not silently become no purpose).
import { z } from 'zod';
import { closest } from '../config/index.ts';
import { NautilusError } from '../errors.ts';

const ID = /^[A-Za-z0-9_.:@/-]{1,128}$/;

/** The request context's shape (also the REST API's `context` schema). */
export const contextSchema = z.strictObject({
  purpose: z.string().min(1).max(128).optional(),
  clearance: z.string().min(1).max(128).optional(),
  compartments: z.array(z.string().min(1).max(128)).max(64).optional(),
  session_id: z.string().regex(ID, 'a session id is 1-128 letters, digits or _.:@/-').optional(),
  request_id: z.string().regex(ID, 'a request id is 1-128 letters, digits or _.:@/-').optional(),
});

export type RequestContext = z.infer<typeof contextSchema>;

const CONTEXT_KEYS = Object.keys(contextSchema.shape);

/** The caller's request id when it is well-formed, read before the context is validated: the
 *  audit line of a refused request carries it, but never an unchecked (e.g. megabyte) string. */
export function callerRequestId(context: unknown): string | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const id: unknown = (context as { request_id?: unknown }).request_id;
  return typeof id === 'string' && ID.test(id) ? id : undefined;
}

export function checkAgentId(agentId: unknown): string {
  if (typeof agentId !== 'string' || !ID.test(agentId)) {
    throw new NautilusError(
      'NAU_REQUEST_INVALID',
      'agent id must be 1-128 letters, digits or _.:@/- characters',
      400,
      { field: 'agent_id' },
    );
  }
  return agentId;
}

export function checkSessionId(sessionId: unknown): string {
  if (typeof sessionId !== 'string' || !ID.test(sessionId)) {
    throw new NautilusError(
      'NAU_REQUEST_INVALID',
      'session id must be 1-128 letters, digits or _.:@/- characters',
      400,
      { field: 'session_id' },
    );
  }
  return sessionId;
}

export function checkContext(context: unknown): RequestContext {
  if (context === undefined || context === null) return {};
  const parsed = contextSchema.safeParse(context);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const path = ['context', ...i.path.map(String)].join('.');
    if (i.code === 'unrecognized_keys') {
      return i.keys
        .map((k) => {
          const near = closest(k, CONTEXT_KEYS);
          return `context.${k}: unknown key${near === undefined ? '' : ` (did you mean ${near}?)`}`;
        })
        .join('; ');
    }
    return `${path}: ${i.message}`;
  });
  throw new NautilusError('NAU_REQUEST_INVALID', problems.join('; '), 400, { problems });
}
