// The broker: request pipeline, policy engine phase, registries, intent analysis.
export {
  Broker,
  type BrokerOptions,
  type BrokerResponse,
} from './broker.ts';
export type { FetchResult, SourceData, SourceFailure } from './fetch.ts';
export {
  PolicyEngine,
  type PolicyParams,
  type PolicyScope,
  type PolicySource,
  RESIDENT_TEMPLATES,
  type RoutingInput,
  type RoutingOutcome,
  type SourceVerdict,
} from './policy-engine.ts';
export { BUILTIN_RULES_DIR, type LoadedPolicy, loadPolicy } from './policy-setup.ts';
export { checkAgentId, checkContext, type RequestContext } from './request-input.ts';
