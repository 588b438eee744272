// nautilus.yaml: schema, loader, overrides and located problems.
export { crossChecks } from './cross-checks.ts';
export { type Env, expand } from './interpolate.ts';
export { loadApiKeysFile } from './keys-file.ts';
export { checkConfigLevels } from './levels.ts';
export {
  applyOverrides,
  configFromObject,
  type LoadOptions,
  loadConfig,
  type ParseOptions,
  parseConfig,
} from './load.ts';
export { ConfigLocator, type Locator } from './locator.ts';
export {
  type ConfigPath,
  type ConfigProblem,
  formatPath,
  formatProblem,
  invalidConfig,
} from './problems.ts';
export { type ConfigOverrides, DATA_DIR_FILES } from './resolve.ts';
export { type ConfigFile, configFileSchema, SESSION_BACKENDS } from './schema.ts';
export {
  AGENT_ID_RE,
  FIELD_RE,
  IDENTIFIER_RE,
  SQL_COLUMN_RE,
  SQL_TABLE_RE,
  SYMBOL_RE,
} from './schema-common.ts';
export { SOURCE_TYPES } from './schema-sources.ts';
export { closest, didYouMean, levenshtein } from './suggest.ts';
export type {
  AgentConfig,
  AgentsConfig,
  AnalysisConfig,
  ApiConfig,
  ApiKeyConfig,
  AttestationConfig,
  AuditConfig,
  DeepReadonly,
  LoadedConfig,
  NautilusConfig,
  PersistenceConfig,
  PostgresSourceConfig,
  RestAuthConfig,
  RestSourceConfig,
  RulesConfig,
  SessionStoreConfig,
  SourceConfig,
  SourceType,
  SqliteSourceConfig,
} from './types.ts';
