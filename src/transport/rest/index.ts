// The REST transport (docs/server.md): fastify app, API-key auth, lifecycle state, OpenAPI.
export { loadApiKeys } from './api-keys.ts';
export { buildRestApp, type RestApp, type RestAppOptions } from './app.ts';
export { AUDIT_DEFAULT_LIMIT, type AuditPage, readAuditPage } from './audit-query.ts';
export {
  ApiKeyAuth,
  checkAgent,
  checkSessionAgents,
  mayActAs,
  NOBODY,
  type Principal,
  UNAUTHENTICATED,
} from './auth.ts';
export { brokerObserver } from './broker-observer.ts';
export { type ErrorBody, errorBody, toNautilusError } from './errors.ts';
export { jsonSchemaOf, openApiDocument, openApiPath } from './openapi.ts';
export type { AuthPolicy, ResponseSpec, RouteSpec } from './route-spec.ts';
export {
  AUDIT_MAX_LIMIT,
  auditQuerySchema,
  queryBodySchema,
  requestBodySchema,
  sessionParamsSchema,
} from './schemas.ts';
export {
  type RestServerOptions,
  type RunningRestServer,
  startRestServer,
} from './server.ts';
export {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  type ShutdownOptions,
  type ShutdownResult,
  shutdownServer,
} from './shutdown.ts';
export { type ServerPhase, ServerState } from './state.ts';
