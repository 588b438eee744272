// `sources:` entries. One strict mapping per source type, told apart by `type`, so later code
// narrows on `source.type` and gets exactly the keys that type has (table for SQL sources,
// endpoints and auth for REST ones).
import * as z from 'zod';
import {
  FIELD_RE,
  identifier,
  list,
  nonEmptyString,
  SQL_COLUMN_RE,
  SQL_TABLE_RE,
  symbolName,
  unique,
} from './schema-common.ts';

export const SOURCE_TYPES = ['sqlite', 'postgres', 'rest'] as const;

const columns = (re: RegExp, what: string) =>
  unique(z.array(z.string().regex(re, `${what} must be a plain name`)), 'column')
    .nullable()
    .default(null);

/** Keys every source has, whatever its type. */
const common = {
  id: identifier('a source id'),
  description: z.string().default(''),
  classification: symbolName('a classification level'),
  compartments: unique(list(symbolName('a compartment')), 'compartment'),
  data_types: unique(
    z.array(symbolName('a data type')).min(1, 'a source needs at least one data type'),
    'data type',
  ),
  /** null = every purpose; an empty list would make the source unreachable, so it is refused. */
  allowed_purposes: unique(
    z
      .array(symbolName('a purpose'))
      .min(1, 'an empty list would allow no purpose; leave the key out to allow every purpose'),
    'purpose',
  )
    .nullable()
    .default(null),
  timeout_ms: z.int().min(1).max(600_000).default(10_000),
  max_rows: z.int().min(1).max(1_000_000).default(1000),
};

export const sqliteSourceSchema = z.strictObject({
  type: z.literal('sqlite'),
  ...common,
  /** Database file (relative to the config file) or `:memory:`. */
  connection: nonEmptyString(),
  table: z.string().regex(SQL_TABLE_RE, 'table must be a table name, optionally schema.table'),
  allowed_columns: columns(SQL_COLUMN_RE, 'an allowed column'),
  /** SQL run to create the database file when it does not exist yet. */
  seed_sql: nonEmptyString().nullable().default(null),
});

export const postgresSourceSchema = z.strictObject({
  type: z.literal('postgres'),
  ...common,
  /** libpq connection string or URL. */
  connection: nonEmptyString(),
  table: z.string().regex(SQL_TABLE_RE, 'table must be a table name, optionally schema.table'),
  allowed_columns: columns(SQL_COLUMN_RE, 'an allowed column'),
});

const httpUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// base URL' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    ctx.addIssue({ code: 'custom', message: `expected http or https, got ${url.protocol}//` });
  // Credentials in the URL would end up in logs and the public source list.
  if (url.username !== '' || url.password !== '')
    ctx.addIssue({
      code: 'custom',
      message: 'put credentials under auth (type basic or bearer), not in the URL',
    });
});

const endpointSchema = z.strictObject({
  path: z.string().regex(/^\//, 'an endpoint path starts with /'),
  method: z.enum(['GET', 'POST']).default('GET'),
  query_params: unique(
    list(z.string().regex(FIELD_RE, 'a query parameter must be a plain name')),
    'query parameter',
  ),
});

export const restAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('bearer'), token: nonEmptyString() }),
  z.strictObject({ type: z.literal('basic'), username: nonEmptyString(), password: z.string() }),
]);

export const restSourceSchema = z.strictObject({
  type: z.literal('rest'),
  ...common,
  /** Base URL; endpoint paths are appended to it. */
  connection: httpUrl,
  endpoints: z
    .array(endpointSchema)
    .min(1, 'a rest source needs at least one endpoint')
    .superRefine((endpoints, ctx) => {
      const seen = new Set<string>();
      endpoints.forEach((e, i) => {
        const key = `${e.method} ${e.path}`;
        if (seen.has(key))
          ctx.addIssue({ code: 'custom', path: [i], message: `endpoint ${key} is listed twice` });
        seen.add(key);
      });
    }),
  allowed_columns: columns(FIELD_RE, 'an allowed field'),
  /** Off by default: loopback, private and link-local addresses are refused (SSRF). */
  allow_private_network: z.boolean().default(false),
  auth: restAuthSchema.default({ type: 'none' }),
});

export const sourceSchema = z.discriminatedUnion('type', [
  sqliteSourceSchema,
  postgresSourceSchema,
  restSourceSchema,
]);
