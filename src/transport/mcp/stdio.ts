// MCP over stdio: JSON-RPC lines on stdin/stdout. Nothing else may reach stdout, so while the
// server runs on the process's own stdout, console methods that print there go to stderr.
import { Console } from 'node:console';
import { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Broker } from '../../broker/index.ts';
import { LOCAL_PRINCIPAL } from '../principal.ts';
import { describeError, type McpLogger } from './logger.ts';
import { createNautilusServer } from './server.ts';

export interface StdioOptions {
  readonly logger: McpLogger;
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream;
}

export interface StdioHandle {
  close(): Promise<void>;
  /** Settles when the connection ends: the client closed stdin, or close() was called. */
  readonly closed: Promise<void>;
}

export function startStdio(broker: Broker, opts: StdioOptions): StdioHandle {
  const { logger } = opts;
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const restoreConsole = stdout === process.stdout ? consoleToStderr() : () => {};
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    restoreConsole();
    markClosed();
  };
  const wire = new ObservedTransport(
    new StdioServerTransport(asReadable(stdin), asWritable(stdout)),
    () => {
      logger.info({ transport: 'stdio' }, 'mcp stdio connection closed');
      finish();
    },
  );
  const handle = serveStdio(
    () => createNautilusServer({ broker, principal: LOCAL_PRINCIPAL, logger, transport: 'stdio' }),
    {
      transport: wire,
      onerror: (e) => logger.warn({ transport: 'stdio', error: describeError(e) }, 'mcp stdio'),
    },
  );
  logger.info({ transport: 'stdio' }, 'mcp server listening on stdio');
  return {
    closed,
    close: async () => {
      try {
        await handle.close();
      } finally {
        finish();
      }
    },
  };
}

/** Passes everything through to the stdio transport and reports when it closes. */
class ObservedTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];

  constructor(
    private readonly inner: Transport,
    onClosed: () => void,
  ) {
    inner.onmessage = (message, extra) => this.onmessage?.(message, extra);
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => {
      try {
        this.onclose?.();
      } finally {
        onClosed();
      }
    };
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(...args: Parameters<Transport['send']>): Promise<void> {
    return this.inner.send(...args);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Sends console.log/info/debug/dir/table (stdout by default) to stderr; returns the undo. */
function consoleToStderr(): () => void {
  const toStderr = new Console({ stdout: process.stderr, stderr: process.stderr });
  const methods = [
    'log',
    'info',
    'debug',
    'dir',
    'dirxml',
    'table',
    'trace',
    'group',
    'groupCollapsed',
  ] as const;
  const saved = methods.map((m) => [m, console[m]] as const);
  for (const m of methods)
    (console as unknown as Record<string, unknown>)[m] = toStderr[m].bind(toStderr);
  return () => {
    for (const [m, f] of saved) (console as unknown as Record<string, unknown>)[m] = f;
  };
}

function asReadable(s: NodeJS.ReadableStream): Readable {
  return s instanceof Readable ? s : new Readable().wrap(s);
}

function asWritable(s: NodeJS.WritableStream): Writable {
  if (s instanceof Writable) return s;
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      s.write(chunk, (err) => callback(err ?? null));
    },
  });
}
