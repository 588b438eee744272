// startMcp: the entry `nautilus serve` calls to expose a broker over MCP, on stdio or on
// streamable HTTP. Bad options are refused before anything listens.
import type { Broker } from '../../broker/index.ts';
import { NautilusError } from '../../errors.ts';
import type { ApiKeyEntry } from './api-keys.ts';
import { startHttp } from './http.ts';
import { type McpLogger, stderrLogger } from './logger.ts';
import { startStdio } from './stdio.ts';

export interface McpOptions {
  readonly mode: 'stdio' | 'http';
  /** HTTP: interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** HTTP: port (default 8081; 0 = any free port, see `address`). */
  readonly port?: number;
  /** HTTP: required; a key may act only as its agents (`*` = any). Ignored on stdio. */
  readonly apiKeys?: ReadonlyArray<ApiKeyEntry>;
  /** HTTP: Origin hostnames browsers may call from (default none). */
  readonly allowedOrigins?: readonly string[];
  /** Must not write to stdout in stdio mode (default: JSON lines on stderr). */
  readonly logger?: McpLogger;
  /** stdio: the streams to speak on (default: the process's). */
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream;
}

export interface McpHandle {
  /** Stops serving (in-flight HTTP calls finish first); idempotent. Does not close the broker. */
  close(): Promise<void>;
  /** HTTP: `http://host:port/mcp` as bound. */
  readonly address?: string;
  /** Settles when serving has stopped: close() was called or, on stdio, the client hung up. */
  readonly closed: Promise<void>;
}

export const DEFAULT_MCP_PORT = 8081;

export async function startMcp(broker: Broker, opts: McpOptions): Promise<McpHandle> {
  const logger = opts.logger ?? stderrLogger();
  if (opts.mode === 'stdio') {
    return startStdio(broker, {
      logger,
      ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
      ...(opts.stdout === undefined ? {} : { stdout: opts.stdout }),
    });
  }
  if (opts.mode !== 'http') {
    throw optionsInvalid('mode', `mode must be stdio or http, got ${JSON.stringify(opts.mode)}`);
  }
  const port = opts.port ?? DEFAULT_MCP_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw optionsInvalid('port', `port must be an integer from 0 to 65535, got ${String(port)}`);
  const host = opts.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '')
    throw optionsInvalid('host', 'host must be a non-empty string');
  return startHttp(broker, {
    host,
    port,
    apiKeys: opts.apiKeys,
    allowedOrigins: opts.allowedOrigins,
    logger,
  });
}

function optionsInvalid(field: string, message: string): NautilusError {
  return new NautilusError('NAU_MCP_OPTIONS_INVALID', `MCP transport: ${message}`, 500, { field });
}
