// The REST API's request and response shapes, as zod schemas: the handlers validate requests
// with them and /openapi.json is generated from them, so the two cannot drift apart. Deeper
// checks (known data types, filter values, the agent registry) stay in the broker, which
// answers NAU_REQUEST_INVALID / NAU_AGENT_* like the handlers do.
import { z } from 'zod';
import { contextSchema } from '../../broker/index.ts';
import {
  FILTER_OPERATORS,
  MAX_INTENT_LENGTH,
  MAX_STRUCTURED_FILTERS,
} from '../../broker/intent/index.ts';

const ID = /^[A-Za-z0-9_.:@/-]{1,128}$/;
const id = (what: string) =>
  z.string().regex(ID, `${what} is 1-128 letters, digits or _.:@/- characters`);
const name = (what: string) => z.string().min(1).max(128).describe(what);

// ---- requests --------------------------------------------------------------------------------

export const requestBodySchema = z
  .strictObject({
    agent_id: id('agent_id').describe('the agent making the request'),
    intent: z
      .string()
      .min(1)
      .max(MAX_INTENT_LENGTH)
      .describe('what the agent needs, in plain language'),
    context: contextSchema.optional().describe('purpose, clearance, session_id, request_id'),
  })
  .describe('A natural-language request');

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const filterSchema = z.strictObject({
  field: z.string().min(1).max(128).describe('a field such as severity or asset.owner'),
  operator: z.enum(FILTER_OPERATORS),
  value: z
    .union([scalar, z.array(scalar), z.null()])
    .optional()
    .describe('a list for IN, NOT IN and BETWEEN (two items); absent for IS NULL / IS NOT NULL'),
});

export const queryBodySchema = z
  .strictObject({
    agent_id: id('agent_id').describe('the agent making the request'),
    data_types: z.array(name('a data type')).min(1).max(64).describe('data types to fetch'),
    filters: z
      .array(filterSchema)
      .max(MAX_STRUCTURED_FILTERS)
      .optional()
      .describe('row filters, all of which must hold'),
    purpose: name('why the data is needed').optional(),
    context: contextSchema.optional().describe('clearance, session_id, request_id'),
  })
  .describe('A structured query: no intent analysis');

export const sessionParamsSchema = z.strictObject({ id: id('the session id') });

/** `2030-01-02`, `2030-01-02T03:04:05Z`, `2030-01-02T03:04:05.123+02:00`: a time zone is
 *  required with a time (a naive time would silently mean the server's zone). */
const TIMESTAMP =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const timestamp = (what: string) =>
  z
    .string()
    .regex(TIMESTAMP, `${what} must be an ISO-8601 date or a time with a zone (Z or +hh:mm)`)
    .refine((v) => Number.isFinite(Date.parse(v)), `${what} is not a valid date`);

export const AUDIT_MAX_LIMIT = 500;

export const auditQuerySchema = z.strictObject({
  agent: id('agent').optional().describe('only lines of this agent'),
  source: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('only requests that queried, were denied or failed on this source'),
  session: id('session').optional().describe('only lines of this session'),
  outcome: z.enum(['ok', 'denied', 'partial', 'error']).optional(),
  kind: z.enum(['request', 'session_closed']).optional(),
  since: timestamp('since').optional().describe('lines at or after this time'),
  until: timestamp('until').optional().describe('lines before this time'),
  cursor: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('the next_cursor of the previous page: lines after this seq'),
  limit: z.coerce.number().int().min(1).max(AUDIT_MAX_LIMIT).optional().describe('default 100'),
});

export type RequestBody = z.output<typeof requestBodySchema>;
export type QueryBody = z.output<typeof queryBodySchema>;
export type AuditQuery = z.output<typeof auditQuerySchema>;

// ---- responses (documentation only: handlers build them from typed broker values) -----------

export const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('stable NAU_* code'),
    message: z.string(),
    detail: z.record(z.string(), z.unknown()).optional().describe('client errors only'),
  }),
});

const sourceVerdicts = z.array(
  z.object({ source_id: z.string(), reason: z.string(), rule: z.string() }),
);

export const brokerResponseSchema = z.object({
  request_id: z.string(),
  agent_id: z.string(),
  session_id: z.string().nullable(),
  intent: z.object({
    data_types: z.array(z.string()),
    purpose: z.string().nullable(),
    confidence: z.number(),
    structured: z.boolean(),
    filters: z.array(z.record(z.string(), z.unknown())),
  }),
  data: z.record(
    z.string(),
    z.object({
      records: z.array(z.record(z.string(), z.unknown())),
      record_count: z.int(),
      truncated: z.boolean(),
      duration_ms: z.number(),
      scope_applied: z.array(z.string()),
    }),
  ),
  sources_queried: z.array(z.string()),
  sources_denied: sourceVerdicts,
  sources_skipped: z.array(z.object({ source_id: z.string(), reason: z.string() })),
  sources_failed: z.array(z.object({ source_id: z.string(), error_class: z.string() })),
  scope_restrictions: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
  filters_not_applied: z
    .record(z.string(), z.array(z.string()))
    .describe('Per source, caller filter fields it has no allowed column for (not applied)'),
  routing_trace: z.array(z.string()),
  exposure_summary: z.record(z.string(), z.unknown()).nullable(),
  attestation_token: z.string().nullable().describe('Ed25519 JWS; verify with /v1/keys/jwks.json'),
  duration_ms: z.number(),
});

export const sessionViewSchema = z.object({
  session_id: z.string(),
  status: z.enum(['open', 'closed']),
  created_at: z.string(),
  updated_at: z.string(),
  closed_at: z.string().nullable(),
  exposures: z.array(z.record(z.string(), z.unknown())),
  flags: z.array(
    z.object({ flag: z.string(), detail: z.string(), request_id: z.string(), rule: z.string() }),
  ),
  summary: z.record(z.string(), z.unknown()),
});

export const sessionClosedSchema = z.object({
  session_id: z.string(),
  status: z.literal('closed'),
});

export const sourcesSchema = z.object({
  sources: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      description: z.string(),
      classification: z.string(),
      compartments: z.array(z.string()),
      data_types: z.array(z.string()),
      allowed_purposes: z.array(z.string()).nullable(),
      allowed_columns: z.array(z.string()).nullable(),
      max_rows: z.int(),
      timeout_ms: z.int(),
      location: z.string().describe('where the data lives, without credentials'),
      auth: z.enum(['none', 'bearer', 'basic']).optional(),
    }),
  ),
});

export const auditPageSchema = z.object({
  entries: z.array(z.record(z.string(), z.unknown())).describe('audit lines as written'),
  next_cursor: z.int().nullable().describe('pass as cursor for the next page; null at the end'),
});

export const jwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

export const statusSchema = z.object({ status: z.string() });
