// Read-only routes about the broker: its sources (public view, no secrets), the audit log, and
// the JWKS that verifies its attestations.
import { SourceRegistry } from '../../broker/registry/index.ts';
import { readAuditPage } from './audit-query.ts';
import { defineRoute, type RouteSpec } from './route-spec.ts';
import { auditPageSchema, auditQuerySchema, jwksSchema, sourcesSchema } from './schemas.ts';
import type { ServerState } from './state.ts';

export function infoRoutes(state: ServerState): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/sources',
      operationId: 'listSources',
      summary: 'The configured sources: classification, data types, purposes (no credentials)',
      tag: 'info',
      auth: 'key',
      responses: { 200: { description: 'the sources', schema: sourcesSchema } },
      handler: () => {
        const broker = state.acquire();
        return { sources: new SourceRegistry(broker.config.sources).publicList() };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/audit',
      operationId: 'readAudit',
      summary: 'Audit lines matching the filters, oldest first, a page at a time',
      description:
        'Pages are at most 500 lines (default 100); pass next_cursor as cursor for the next page. A key bound to agents sees the request lines of those agents only.',
      tag: 'info',
      auth: 'key',
      query: auditQuerySchema,
      responses: { 200: { description: 'a page of audit lines', schema: auditPageSchema } },
      handler: ({ query, principal }) => {
        const broker = state.acquire();
        return state.track(() => readAuditPage(broker.config.audit.path, query, principal));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/keys/jwks.json',
      operationId: 'jwks',
      summary: "The public keys that verify this broker's attestation tokens",
      tag: 'info',
      auth: 'key',
      responses: { 200: { description: 'a JSON Web Key Set', schema: jwksSchema } },
      handler: () => state.acquire().jwks(),
    }),
  ];
}
