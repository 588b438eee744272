// Source and agent registries built from the loaded config.
export {
  AgentRegistry,
  type ClaimedIdentity,
  type LevelRank,
  type ResolvedAgent,
  rankFromLevels,
} from './agent-registry.ts';
export { publicLocation, redactPostgresDsn, redactUrl } from './redact.ts';
export { type PublicSource, SourceRegistry } from './source-registry.ts';
