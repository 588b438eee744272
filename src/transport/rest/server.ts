// Starts the REST server in the order readiness needs: listen first (so /healthz answers and
// /readyz says 503 while the broker recovers), then build the broker (startup recovery and
// session deserialization), then report ready. `nautilus serve` and the tests start it this way.
import type { FastifyInstance } from 'fastify';
import { Broker, type BrokerObserver } from '../../broker/index.ts';
import type { ConfigOverrides, LoadedConfig } from '../../config/index.ts';
import { type Logger, NautilusMetrics } from '../../obs/index.ts';
import { buildRestApp } from './app.ts';
import type { ApiKeyAuth } from './auth.ts';
import { brokerObserver } from './broker-observer.ts';
import { shutdownServer } from './shutdown.ts';
import { ServerState } from './state.ts';

export interface RestServerOptions {
  /** The loaded config (overrides applied); api.* settings come from it. */
  readonly config: LoadedConfig;
  /** Passed to Broker.fromConfig with the config's file. */
  readonly overrides?: ConfigOverrides;
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly metrics?: NautilusMetrics;
  readonly auth: ApiKeyAuth | null;
  /** Builds the broker (default: Broker.fromConfig(config.file, {overrides, observer})). */
  readonly openBroker?: (observer: BrokerObserver) => Promise<Broker>;
  readonly version?: string;
}

export interface RunningRestServer {
  /** `http://host:port` as bound. */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly state: ServerState;
  readonly metrics: NautilusMetrics;
  /** Resolves with the broker once ready; rejects when the broker cannot start. */
  readonly ready: Promise<Broker>;
  /** Graceful stop (see shutdownServer); closes the broker too. */
  shutdown(options?: {
    timeoutMs?: number;
    others?: ReadonlyArray<{ close(): Promise<void> }>;
  }): Promise<{ clean: boolean }>;
}

export async function startRestServer(o: RestServerOptions): Promise<RunningRestServer> {
  const state = new ServerState();
  const metrics = o.metrics ?? new NautilusMetrics();
  const { app } = buildRestApp({
    state,
    logger: o.logger,
    metrics,
    auth: o.auth,
    bodyLimitBytes: o.config.api.body_limit_bytes,
    publicMetrics: o.config.api.public_metrics,
    ...(o.version === undefined ? {} : { version: o.version }),
  });
  await app.listen({ host: o.host, port: o.port });
  const url = urlOf(app);
  o.logger.info({ address: url }, 'REST API listening');

  const observer = brokerObserver(metrics, o.logger);
  const open =
    o.openBroker ??
    ((obs: BrokerObserver) =>
      Broker.fromConfig(o.config.file, {
        observer: obs,
        warn: (m) => o.logger.warn(m),
        ...(o.overrides === undefined ? {} : { overrides: o.overrides }),
      }));
  const ready = open(observer).then(async (broker) => {
    if (state.phase === 'stopping') {
      // Shutdown began during startup: nothing was served, just release what was opened.
      await broker.close();
      return broker;
    }
    state.ready(broker);
    metrics.bindGauges(broker);
    o.logger.info({ sessions: broker.openSessions() }, 'ready');
    return broker;
  });
  // Observed by whoever awaits `ready`; never an unhandled rejection here.
  ready.catch(() => {});

  return {
    url,
    app,
    state,
    metrics,
    ready,
    shutdown: async (s = {}) => {
      const result = await shutdownServer({
        state,
        app,
        broker: state.broker,
        logger: o.logger,
        ...(s.timeoutMs === undefined ? {} : { timeoutMs: s.timeoutMs }),
        ...(s.others === undefined ? {} : { others: s.others }),
      });
      metrics.bindGauges(null);
      return result;
    },
  };
}

function urlOf(app: FastifyInstance): string {
  const a = app.server.address();
  if (a === null || typeof a === 'string') return String(a);
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}
