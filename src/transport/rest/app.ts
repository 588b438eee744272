// The REST API (fastify 5): registers the route table, authenticates in `onRequest` (before the
// body is even read), validates inputs with the routes' zod schemas, answers every error as
// `{error: {code, message, detail?}}`, logs one line per request and counts it in the metrics.
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { NautilusError } from '../../errors.ts';
import { type Logger, type NautilusMetrics, requestLogger } from '../../obs/index.ts';
import { type ApiKeyAuth, NOBODY, UNAUTHENTICATED } from './auth.ts';
import { errorBody, toNautilusError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { notesOf } from './request-notes.ts';
import type { AuthPolicy, RouteSpec } from './route-spec.ts';
import { brokerRoutes } from './routes-broker.ts';
import { infoRoutes } from './routes-info.ts';
import { opsRoutes } from './routes-ops.ts';
import type { ServerState } from './state.ts';
import { parseInput } from './validate.ts';

export interface RestAppOptions {
  readonly state: ServerState;
  readonly logger: Logger;
  readonly metrics: NautilusMetrics;
  /** The accepted keys; null = authentication off (`nautilus serve --no-auth`, loopback only). */
  readonly auth: ApiKeyAuth | null;
  readonly bodyLimitBytes: number;
  readonly publicMetrics: boolean;
  /** Version in the OpenAPI document. */
  readonly version?: string;
}

export interface RestApp {
  readonly app: FastifyInstance;
  readonly routes: readonly RouteSpec[];
}

/** An X-Request-Id the caller sent is kept when it is a plausible id; otherwise a UUID. */
const REQUEST_ID = /^[A-Za-z0-9_.:@/-]{1,128}$/;
/** Routes polled by probes and scrapers: logged at debug level, not info. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

export function buildRestApp(o: RestAppOptions): RestApp {
  const app = Fastify({
    // Fastify's own lines (e.g. "Server listening") only from warn up: we log requests ourselves.
    loggerInstance: o.logger.child(
      { component: 'fastify' },
      { level: atLeastWarn(o.logger) },
    ) as FastifyBaseLogger,
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'request_id',
    }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: o.bodyLimitBytes,
    // Shutdown is answered by our own hook, in our error format (see ServerState.acquire).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    exposeHeadRoutes: false,
  });

  // JSON only: fastify would also parse text/plain bodies into strings.
  app.removeContentTypeParser('text/plain');

  let document: unknown = null;
  const routes: RouteSpec[] = [
    ...brokerRoutes(o.state),
    ...infoRoutes(o.state),
    ...opsRoutes({
      state: o.state,
      metrics: o.metrics,
      publicMetrics: o.publicMetrics,
      openapi: () => {
        document ??= openApiDocument(routes, o.version ?? '0.1.0');
        return document;
      },
    }),
  ];

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('cache-control', 'no-store');
    const policy = (request.routeOptions.config as { auth?: AuthPolicy } | undefined)?.auth;
    if (policy !== 'key') return;
    notesOf(request).principal =
      o.auth === null ? UNAUTHENTICATED : o.auth.authenticate(request.headers);
  });

  // While stopping, every answer closes its connection, so keep-alive clients cannot hold the
  // listener open past the requests that were in flight.
  app.addHook('onSend', async (_request, reply) => {
    if (o.state.phase === 'stopping') reply.header('connection', 'close');
  });

  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.path,
      config: { auth: r.auth },
      handler: async (request, reply) => {
        const params =
          r.params === undefined ? undefined : parseInput(r.params, request.params, 'params');
        const query =
          r.query === undefined ? undefined : parseInput(r.query, request.query, 'query');
        const body = r.body === undefined ? undefined : parseInput(r.body, request.body, 'body');
        const principal = notesOf(request).principal ?? NOBODY;
        return r.handler({ body, params, query, principal, request, reply });
      },
    });
  }

  app.setNotFoundHandler((request, reply) => {
    const err = new NautilusError(
      'NAU_NOT_FOUND',
      `no route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`,
      404,
    );
    return reply.code(404).send(errorBody(err));
  });

  app.setErrorHandler((x, request, reply) => {
    const err = toNautilusError(x);
    if (err.status >= 500 && err.code !== 'NAU_NOT_READY' && err.code !== 'NAU_SHUTTING_DOWN')
      logFor(o.logger, request).error({ err: x, code: err.code }, 'request failed');
    if (err.status === 401) reply.header('www-authenticate', 'Bearer');
    if (err.status === 503) reply.header('retry-after', '1');
    return reply.code(err.status).send(errorBody(err));
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    o.metrics.httpRequests.inc({ method: request.method, route, status: String(status) });
    const log = logFor(o.logger, request);
    const line = {
      method: request.method,
      route,
      status,
      ms: Math.round(reply.elapsedTime * 1000) / 1000,
      ...(notesOf(request).principal?.keyId ? { key_id: notesOf(request).principal?.keyId } : {}),
    };
    if (QUIET.has(route) && status < 400) log.debug(line, 'request completed');
    else log.info(line, 'request completed');
  });

  return { app, routes };
}

function atLeastWarn(logger: Logger): string {
  const values = logger.levels.values;
  return (values[logger.level] ?? 0) >= (values.warn ?? 40) ? logger.level : 'warn';
}

function logFor(base: Logger, request: FastifyRequest): Logger {
  const n = notesOf(request);
  return requestLogger(base, {
    request_id: n.requestId ?? request.id,
    agent_id: n.agentId,
    session_id: n.sessionId,
  });
}
