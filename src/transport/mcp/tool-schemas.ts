// The input schemas of the four tools. `tools/list` advertises them as JSON Schema; the tool
// handlers validate arguments with them (see `advertised` for why the SDK does not).
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { z } from 'zod';
import {
  FILTER_OPERATORS,
  MAX_FILTER_LIST_ITEMS,
  MAX_INTENT_LENGTH,
  MAX_STRUCTURED_FILTERS,
} from '../../broker/intent/index.ts';
import { closest } from '../../config/index.ts';
import { NautilusError } from '../../errors.ts';

const id = (what: string) =>
  z.string().min(1).max(128).describe(`${what} (1-128 letters, digits or _.:@/- characters)`);

const context = z
  .strictObject({
    purpose: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe("why the data is needed (default: the agent's default purpose)"),
    clearance: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe("claimed clearance; capped by the agent's registered clearance"),
    compartments: z
      .array(z.string().min(1).max(128))
      .max(64)
      .optional()
      .describe('claimed compartments; capped by the registered ones'),
    session_id: id(
      'session to run in; requests in one session are judged against everything it has seen',
    ).optional(),
    request_id: id('your id for this request (default: a generated UUID)').optional(),
  })
  .describe('request context');

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const filter = z.strictObject({
  field: z.string().min(1).max(128).describe('column, e.g. severity or asset.owner'),
  operator: z.enum(FILTER_OPERATORS),
  value: z
    .union([scalar, z.array(scalar).max(MAX_FILTER_LIST_ITEMS), z.null()])
    .optional()
    .describe('a list for IN, NOT IN and BETWEEN (two items), absent for IS NULL / IS NOT NULL'),
});

export const requestArgs = z.strictObject({
  agent_id: id('the agent making the request'),
  intent: z
    .string()
    .min(1)
    .max(MAX_INTENT_LENGTH)
    .describe('what the agent needs, in plain language'),
  context: context.optional(),
});

export const queryArgs = z.strictObject({
  agent_id: id('the agent making the request'),
  data_types: z.array(z.string().min(1).max(128)).min(1).max(64).describe('data types to fetch'),
  filters: z
    .array(filter)
    .max(MAX_STRUCTURED_FILTERS)
    .optional()
    .describe('row filters, all of which must hold'),
  purpose: z.string().min(1).max(128).optional().describe('why the data is needed'),
  context: context.optional(),
});

export const sessionArgs = z.strictObject({ session_id: id('the session') });

/**
 * The schema as advertised, with validation left to the tool handler. The SDK would turn a
 * failed validation into a bare text error; parsing in the handler gives callers the same
 * `{code: NAU_REQUEST_INVALID, message}` result as every other refusal.
 */
export function advertised(schema: z.ZodType): StandardSchemaWithJSON<unknown, unknown> {
  return {
    '~standard': {
      version: 1,
      vendor: 'nautilus',
      validate: (value: unknown) => ({ value }),
      jsonSchema: schema['~standard'].jsonSchema,
    },
  };
}

/** Parses a tool's arguments; NAU_REQUEST_INVALID naming every field at fault. */
export function parseArgs<T extends z.ZodType>(
  tool: string,
  schema: T,
  args: unknown,
): z.output<T> {
  const parsed = schema.safeParse(args ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const path = formatPath(i.path);
    const at = path === '' ? 'arguments' : path;
    if (i.code === 'unrecognized_keys') {
      const known = knownKeys(schema, i.path);
      return i.keys
        .map((k) => {
          const near = closest(k, known);
          const key = path === '' ? k : `${path}.${k}`;
          return `${key}: unknown argument${near === undefined ? '' : ` (did you mean ${near}?)`}`;
        })
        .join('; ');
    }
    if (i.code === 'invalid_type' && valueAt(args, i.path) === undefined) return `${at}: required`;
    return `${at}: ${i.message}`;
  });
  return failInvalid(tool, problems);
}

function failInvalid(tool: string, problems: string[]): never {
  throw new NautilusError('NAU_REQUEST_INVALID', `${tool}: ${problems.join('; ')}`, 400, {
    problems,
  });
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur = value;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** `context.compartments[2]`: the argument path as a caller would write it. */
function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, n) => (typeof p === 'number' ? `[${p}]` : n === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/** The keys an object schema at `path` accepts (for did-you-mean hints). */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  for (const p of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(p)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  let cur = s;
  while (cur instanceof z.ZodOptional) cur = cur.unwrap() as z.ZodType;
  return cur;
}
