// Graceful shutdown (SIGTERM/SIGINT): readiness fails and new requests are refused, the
// listeners close and in-flight requests finish (bounded wait), then the broker flushes queued
// session writes, closes its adapters and the audit log. Past the bound, connections still open
// are cut and the result says `clean: false`.
import type { FastifyInstance } from 'fastify';
import type { Broker } from '../../broker/index.ts';
import type { Logger } from '../../obs/index.ts';
import type { ServerState } from './state.ts';

export interface ShutdownOptions {
  readonly state: ServerState;
  readonly app: FastifyInstance | null;
  /** Other listeners to close first (the MCP transport). */
  readonly others?: ReadonlyArray<{ close(): Promise<void> }>;
  readonly broker: Broker | null;
  /** How long in-flight requests may take to finish (default 10 s). */
  readonly timeoutMs?: number;
  readonly logger: Logger;
}

export interface ShutdownResult {
  /** False when requests had to be cut off or a part failed to close. */
  readonly clean: boolean;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export async function shutdownServer(o: ShutdownOptions): Promise<ShutdownResult> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let clean = true;
  o.state.stopping();
  o.logger.info({ in_flight: o.state.busy, timeout_ms: timeoutMs }, 'shutting down');

  const listeners = [
    ...(o.app === null ? [] : [o.app.close()]),
    ...(o.others ?? []).map((l) => l.close()),
  ];
  const closing = Promise.allSettled(listeners).then((results) => {
    for (const r of results)
      if (r.status === 'rejected') {
        clean = false;
        o.logger.error({ err: r.reason }, 'a listener failed to close');
      }
  });
  if (!(await within(closing, timeoutMs))) {
    clean = false;
    o.logger.error(
      { in_flight: o.state.busy, timeout_ms: timeoutMs },
      'in-flight requests did not finish in time; closing their connections',
    );
    o.app?.server.closeAllConnections();
  }
  // Broker calls whose connection was cut still run to the end (their audit line included).
  if (!(await o.state.idle(Math.max(1000, deadline - Date.now())))) {
    clean = false;
    o.logger.error({ in_flight: o.state.busy }, 'broker calls still running at shutdown');
  }
  if (o.broker !== null) {
    try {
      await o.broker.close();
    } catch (x) {
      clean = false;
      o.logger.error({ err: x }, 'closing the broker failed');
    }
  }
  o.logger.info({ clean }, 'stopped');
  return { clean };
}

function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}
