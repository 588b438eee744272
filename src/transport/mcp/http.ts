// MCP over streamable HTTP at `/mcp`, behind an API key. Each request is served by a fresh
// server instance bound to the key's principal (the SDK's createMcpHandler: the 2026-07-28
// protocol, plus stateless serving of 2025-era clients).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  localhostHostValidation,
  type NodeIncomingMessageLike,
  originValidation,
  toNodeHandler,
} from '@modelcontextprotocol/node';
import { type AuthInfo, createMcpHandler } from '@modelcontextprotocol/server';
import type { Broker } from '../../broker/index.ts';
import { NautilusError } from '../../errors.ts';
import { isKeyRefusal, type KeyRefusal } from '../api-keys.ts';
import { NOBODY, type Principal, principalFor } from '../principal.ts';
import { type ApiKeyEntry, ApiKeyTable } from './api-keys.ts';
import { describeError, type McpLogger } from './logger.ts';
import { createNautilusServer } from './server.ts';

export const MCP_PATH = '/mcp';
/** Tool arguments are small; a larger body is refused (413) before it is parsed. */
const MAX_BODY_BYTES = 1024 * 1024;
/** How long close() lets in-flight requests finish before it drops their connections. */
const CLOSE_GRACE_MS = 10_000;

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly apiKeys: ReadonlyArray<ApiKeyEntry> | undefined;
  /** Origin hostnames a browser may call from (default none: any request with Origin gets 403). */
  readonly allowedOrigins?: readonly string[] | undefined;
  readonly logger: McpLogger;
}

export interface HttpHandle {
  close(): Promise<void>;
  /** `http://host:port/mcp`, with the port actually bound. */
  readonly address: string;
  /** Settles when the server has stopped. */
  readonly closed: Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export async function startHttp(broker: Broker, opts: HttpOptions): Promise<HttpHandle> {
  const { logger } = opts;
  const keys = new ApiKeyTable(opts.apiKeys);
  const onerror = (e: Error) =>
    logger.warn({ transport: 'http', error: describeError(e) }, 'mcp http request rejected');
  const handler = createMcpHandler(
    (ctx) =>
      createNautilusServer({
        broker,
        principal: principalOf(ctx.authInfo),
        logger,
        transport: 'http',
      }),
    { maxRequestBodySize: MAX_BODY_BYTES, onerror },
  );
  const serve = toNodeHandler(handler, { maxRequestBodySize: MAX_BODY_BYTES, onerror });
  // Bound to loopback, only loopback Host names are served (DNS rebinding); browsers only from
  // the allowed origins.
  const checkHost = LOOPBACK.has(opts.host) ? localhostHostValidation() : () => true;
  const checkOrigin = originValidation([...(opts.allowedOrigins ?? [])]);

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (path !== MCP_PATH) {
      answer(
        res,
        404,
        'NAU_NOT_FOUND',
        `no MCP endpoint at ${path.slice(0, 200)}; use ${MCP_PATH}`,
      );
      return;
    }
    if (!checkHost(req, res) || !checkOrigin(req, res)) return;
    const who = keys.authenticate(req.headers);
    if (isKeyRefusal(who)) {
      logger.warn(
        { transport: 'http', remote: req.socket.remoteAddress, reason: who.reason },
        'mcp http request unauthenticated',
      );
      refuse(res, who);
      return;
    }
    // Node types `method` as `string | undefined`, which exactOptionalPropertyTypes does not
    // accept for the SDK's `method?: string`; the shapes are the same at run time.
    const nodeReq = req as unknown as NodeIncomingMessageLike;
    nodeReq.auth = authInfo(who);
    await serve(nodeReq, res);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((x: unknown) => {
      logger.error({ transport: 'http', error: describeError(x) }, 'mcp http request failed');
      if (!res.headersSent) answer(res, 500, 'NAU_INTERNAL', 'internal error');
      else res.destroy();
    });
  });
  const address = await listen(server, opts.host, opts.port);
  logger.info({ transport: 'http', address }, 'mcp server listening');

  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  let closing: Promise<void> | undefined;
  return {
    address,
    closed,
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        grace.unref();
        await handler.close();
        await stopped;
        clearTimeout(grace);
        logger.info({ transport: 'http', address }, 'mcp server stopped');
      })();
      return closing;
    },
  };
}

function listen(
  server: ReturnType<typeof createServer>,
  host: string,
  port: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(
        new NautilusError(
          'NAU_MCP_LISTEN_FAILED',
          `the MCP HTTP transport cannot listen on ${host}:${port}: ${e.code ?? e.message}`,
          500,
          { host, port },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const a = server.address() as AddressInfo;
      const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve(`http://${h}:${a.port}${MCP_PATH}`);
    });
  });
}

/** The principal travels to the per-request server factory as the SDK's pass-through AuthInfo. */
function authInfo(p: Principal): AuthInfo {
  return {
    token: '',
    clientId: p.keyId ?? '',
    scopes: [],
    extra: { agents: p.anyAgent ? ['*'] : [...p.agents] },
  };
}

function principalOf(info: AuthInfo | undefined): Principal {
  const agents = info?.extra?.agents;
  if (info === undefined || info.clientId === '' || !Array.isArray(agents)) return NOBODY;
  return principalFor(
    info.clientId,
    agents.filter((a): a is string => typeof a === 'string'),
  );
}

function refuse(res: ServerResponse, why: KeyRefusal): void {
  answer(res, 401, why.code, why.message, { 'WWW-Authenticate': 'Bearer realm="nautilus"' });
}

/** A JSON-RPC error body (what MCP clients parse) carrying the NAU_* code. */
function answer(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    error: { code: -32001, message: `${code}: ${message}`, data: { code, message } },
    id: null,
  });
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body);
}
