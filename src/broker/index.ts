// The broker: request pipeline, policy engine phase, registries, intent analysis.
export {
  Broker,
  type BrokerOptions,
  type BrokerResponse,
  type BrokerWalStatus,
  type SessionView,
} from './broker.ts';
export type { FetchResult, SourceData, SourceFailure } from './fetch.ts';
export type {
  BrokerObserver,
  RequestObservation,
  SourceObservation,
  WalRecoveryObservation,
} from './observer.ts';
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
export {
  checkAgentId,
  checkContext,
  contextSchema,
  type RequestContext,
} from './request-input.ts';
