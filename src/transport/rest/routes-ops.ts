// Operations routes: liveness, readiness, Prometheus metrics and the OpenAPI document.
import { NautilusError } from '../../errors.ts';
import type { NautilusMetrics } from '../../obs/index.ts';
import { defineRoute, type RouteSpec } from './route-spec.ts';
import { statusSchema } from './schemas.ts';
import type { ServerState } from './state.ts';

export interface OpsRouteOptions {
  readonly state: ServerState;
  readonly metrics: NautilusMetrics;
  readonly publicMetrics: boolean;
  /** The OpenAPI document (built from the final route table). */
  readonly openapi: () => unknown;
}

export function opsRoutes(o: OpsRouteOptions): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/healthz',
      operationId: 'health',
      summary: 'Liveness: the process is up (no key needed)',
      tag: 'ops',
      auth: 'public',
      responses: { 200: { description: 'alive', schema: statusSchema } },
      handler: () => ({ status: 'ok' }),
    }),
    defineRoute({
      method: 'GET',
      path: '/readyz',
      operationId: 'ready',
      summary:
        'Readiness: 200 once startup recovery and session restore are done; 503 before, and while shutting down',
      tag: 'ops',
      auth: 'public',
      responses: { 200: { description: 'serving', schema: statusSchema } },
      handler: () => {
        if (o.state.phase === 'ready') return { status: 'ready' };
        if (o.state.phase === 'stopping')
          throw new NautilusError('NAU_SHUTTING_DOWN', 'the server is shutting down', 503);
        throw new NautilusError('NAU_NOT_READY', 'the server is starting', 503);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/metrics',
      operationId: 'metrics',
      summary: `Prometheus metrics${o.publicMetrics ? ' (api.public_metrics: no key needed)' : ''}`,
      tag: 'ops',
      auth: o.publicMetrics ? 'public' : 'key',
      responses: {
        200: { description: 'Prometheus text exposition', contentType: o.metrics.contentType },
      },
      handler: async ({ reply }) => {
        const text = await o.metrics.text();
        return reply.type(o.metrics.contentType).send(text);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This API as an OpenAPI 3.1 document',
      tag: 'ops',
      auth: 'key',
      responses: { 200: { description: 'the OpenAPI document' } },
      handler: () => o.openapi(),
    }),
  ];
}
