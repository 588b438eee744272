// The config types every other layer reads. They are inferred from the schema (schema.ts) and
// its resolution (resolve.ts), and deeply read-only: the loaded config is frozen and shared.
import type { ErrorLocation } from '../errors.ts';
import type { ConfigPath } from './problems.ts';
import type { resolveConfig } from './resolve.ts';

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A complete, validated nautilus.yaml: every default applied, every path absolute. */
export type NautilusConfig = DeepReadonly<ReturnType<typeof resolveConfig>>;

/** A config together with where it came from. */
export type LoadedConfig = NautilusConfig & {
  /** The config file as given to the loader (`<object>` for configs built in code). */
  readonly file: string;
  /** Where the value at `path` is written (nearest enclosing entry when it was defaulted). */
  locate(path: ConfigPath): ErrorLocation;
};

export type SourceConfig = NautilusConfig['sources'][number];
export type SqliteSourceConfig = Extract<SourceConfig, { type: 'sqlite' }>;
export type PostgresSourceConfig = Extract<SourceConfig, { type: 'postgres' }>;
export type RestSourceConfig = Extract<SourceConfig, { type: 'rest' }>;
export type RestAuthConfig = RestSourceConfig['auth'];
export type SourceType = SourceConfig['type'];
export type AgentsConfig = NautilusConfig['agents'];
export type AgentConfig = AgentsConfig['registered'][number];
export type RulesConfig = NautilusConfig['rules'];
export type AnalysisConfig = NautilusConfig['analysis'];
export type AuditConfig = NautilusConfig['audit'];
export type AttestationConfig = NautilusConfig['attestation'];
export type SessionStoreConfig = NautilusConfig['session_store'];
export type PersistenceConfig = NautilusConfig['persistence'];
export type ApiConfig = NautilusConfig['api'];
export type ApiKeyConfig = ApiConfig['keys'][number];
