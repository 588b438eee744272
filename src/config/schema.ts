// The nautilus.yaml schema: every key, its type and its default. Paths stay as written here
// (resolution against the config file's folder and defaults derived from data_dir happen in
// resolve.ts); rules that span several sections are in cross-checks.ts.
import * as z from 'zod';
import {
  agentId,
  identifier,
  list,
  nonEmptyString,
  optionalPath,
  section,
  symbolName,
  unique,
} from './schema-common.ts';
import { sourceSchema } from './schema-sources.ts';

const MiB = 1024 * 1024;

export const agentSchema = z.strictObject({
  id: agentId(),
  clearance: symbolName('a clearance level'),
  compartments: unique(list(symbolName('a compartment')), 'compartment'),
  default_purpose: symbolName('a purpose').nullable().default(null),
});

const agentsSchema = section({
  allow_unregistered: z.boolean().default(false),
  unregistered_clearance: symbolName('a clearance level').default('unclassified'),
  registered: list(agentSchema),
});

const rulesSchema = section({
  dirs: list(nonEmptyString()),
  consistency_checks: z.boolean().default(true),
  /** Parameters of the built-in rule set (asserted as the `policy_config` fact). */
  policy: section({
    pii_source_limit: z.int().min(1).default(3),
    purpose_ttl_seconds: z.number().min(0).default(0),
  }),
});

const wordMap = (what: string) =>
  z.preprocess(
    (v) => (v === null ? undefined : v),
    z
      .record(
        symbolName(what),
        z.array(nonEmptyString()).min(1, 'give at least one keyword, or leave the entry out'),
      )
      .default(() => ({})),
  );

const patternSchema = z.strictObject({
  name: identifier('a pattern name'),
  regex: nonEmptyString().superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (e) {
      ctx.addIssue({
        code: 'custom',
        message: `not a valid regular expression: ${(e as Error).message}`,
      });
    }
  }),
  /** The filter field a match fills (`ticket_id = TCK-42`). */
  field: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'field must be a plain field name'),
});

const analysisSchema = section({
  keyword_map: wordMap('a data type'),
  purpose_map: wordMap('a purpose'),
  default_purpose: symbolName('a purpose').nullable().default(null),
  patterns: list(patternSchema).superRefine((patterns, ctx) => {
    const seen = new Set<string>();
    patterns.forEach((p, i) => {
      if (seen.has(p.name))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `pattern ${p.name} is defined twice`,
        });
      seen.add(p.name);
    });
  }),
  confidence_threshold: z.number().min(0).max(1).default(0.5),
});

const auditSchema = section({ path: optionalPath() });

const attestationSchema = section({
  enabled: z.boolean().default(true),
  /** PEM Ed25519 private key; null = generate one into data_dir on first start. */
  private_key_path: optionalPath(),
  issuer: nonEmptyString().default('nautilus'),
});

export const SESSION_BACKENDS = ['sqlite', 'memory', 'postgres'] as const;

const sessionStoreSchema = section({
  backend: z.enum(SESSION_BACKENDS).default('sqlite'),
  path: optionalPath(),
  dsn: nonEmptyString().nullable().default(null),
  ttl_seconds: z.int().min(1).default(86_400),
  on_failure: z.enum(['fail_closed', 'fallback_memory']).default('fail_closed'),
});

const persistenceSchema = section({
  mode: z.enum(['synchronous', 'async']).default('synchronous'),
  /** async without the WAL loses the last writes on a crash; only with this explicit opt-in. */
  accept_async_loss: z.boolean().default(false),
  wal_enabled: z.boolean().default(false),
  wal_path: optionalPath(),
  wal_segment_bytes: z
    .int()
    .min(64 * 1024)
    .max(1024 * MiB)
    .default(64 * MiB),
  wal_max_bytes: z
    .int()
    .min(MiB)
    .default(1024 * MiB),
  wal_min_free_bytes: z
    .int()
    .min(0)
    .default(256 * MiB),
});

/** One API key. Plain keys are hashed on load, so only SHA-256 digests stay in memory. */
export const apiKeySchema = z
  .strictObject({
    id: identifier('a key id'),
    key: z.string().min(16, 'a key must be at least 16 characters long').optional(),
    key_sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'key_sha256 must be 64 hexadecimal digits')
      .optional(),
    /** Agent ids this key may act as; `*` = any agent. */
    agents: unique(
      z
        .array(
          z
            .string()
            .regex(
              /^(\*|[A-Za-z0-9_][A-Za-z0-9_.:@-]*)$/,
              'an entry must be an agent id (letters, digits, _, -, ., :, @) or *',
            ),
        )
        .min(1, 'list the agent ids this key may act as, or * for any'),
      'agent',
    ),
  })
  .superRefine((k, ctx) => {
    if ((k.key === undefined) === (k.key_sha256 === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of key and key_sha256' });
  });

export const apiKeysSchema = z.array(apiKeySchema);

const apiSchema = section({
  host: nonEmptyString().default('127.0.0.1'),
  port: z.int().min(0).max(65_535).default(8080),
  keys: list(apiKeySchema),
  /** A YAML file holding more keys (a list shaped like api.keys), kept out of this file. */
  keys_file: optionalPath(),
  public_metrics: z.boolean().default(false),
  body_limit_bytes: z
    .int()
    .min(1024)
    .max(64 * MiB)
    .default(MiB),
});

export const configFileSchema = z.strictObject({
  data_dir: nonEmptyString().default('.nautilus'),
  sources: z.array(sourceSchema),
  agents: agentsSchema,
  rules: rulesSchema,
  analysis: analysisSchema,
  audit: auditSchema,
  attestation: attestationSchema,
  session_store: sessionStoreSchema,
  persistence: persistenceSchema,
  api: apiSchema,
});

/** A validated nautilus.yaml with defaults applied, paths not yet resolved. */
export type ConfigFile = z.output<typeof configFileSchema>;
