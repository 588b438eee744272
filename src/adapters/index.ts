// Data-source adapters: the contract, scope validation, the built-in sqlite, postgres and rest
// adapters, and the helpers the broker calls them through.
export { createAdapter } from './factory.ts';
export {
  ADAPTER_FAILURE_CLASSES,
  AdapterFailure,
  type AdapterFailureClass,
  type AdapterFailureOptions,
  isAdapterFailure,
  toAdapterFailure,
} from './failure.ts';
export { quoteIdentifier, SQL_IDENTIFIER_MAX, SQL_IDENTIFIER_RE } from './identifiers.ts';
export { type AddressCategory, classifyAddress, isBlockedCategory } from './ip-policy.ts';
export type { HostResolver } from './pinned-http.ts';
export { PostgresAdapter, type PostgresAdapterOptions } from './postgres-adapter.ts';
export { MAX_RESPONSE_BYTES, RestAdapter, type RestAdapterOptions } from './rest-adapter.ts';
export { type RunOptions, runWithTimeout } from './run.ts';
export {
  type CheckedConstraint,
  checkScope,
  MAX_CONSTRAINTS,
  MAX_IN_VALUES,
  MAX_STRING_VALUE,
  requireScope,
  SCOPE_OPERATORS,
  type ScopeCheck,
  type ScopeDenial,
  type ScopeDenialReason,
  type ScopeTarget,
} from './scope.ts';
export { DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_MS } from './spec.ts';
export { SqliteAdapter } from './sqlite-adapter.ts';
export type {
  Adapter,
  AdapterContext,
  AdapterHealth,
  AdapterIntent,
  AdapterResult,
  RestAuthSpec,
  RestEndpointSpec,
  ScopeConstraint,
  ScopeOperator,
  ScopeScalar,
  ScopeValue,
  SourceKind,
  SourceSpec,
} from './types.ts';
