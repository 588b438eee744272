// `nautilus serve --config <file>`: the REST API and/or the MCP transport over one broker, until
// SIGTERM/SIGINT (docs/server.md). Everything that can be checked before starting is checked
// first (config, WAL, air gap, binds, keys): exit 2 with the reason. A runtime failure (a port
// in use, a broker that cannot start) is exit 1; a clean stop exit 0 (1 when in-flight requests
// had to be cut off at the shutdown bound).
import { createRequire } from 'node:module';
import { type Command, type CommanderError, InvalidArgumentError, Option } from 'commander';
import { Broker, type BrokerObserver } from '../broker/index.ts';
import {
  applyOverrides,
  type ConfigOverrides,
  type LoadedConfig,
  loadConfig,
} from '../config/index.ts';
import { NautilusError } from '../errors.ts';
import { checkFailpointEnv } from '../failpoint.ts';
import {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LogLevel,
  NautilusMetrics,
} from '../obs/index.ts';
import type { McpHandle } from '../transport/mcp/index.ts';
import {
  ApiKeyAuth,
  brokerObserver,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  loadApiKeys,
  type RunningRestServer,
  ServerState,
  shutdownServer,
  startRestServer,
} from '../transport/rest/index.ts';
import { airGapProblems, type Bind, isLoopbackHost, parseBind } from './serve-checks.ts';

export interface ServeOptions {
  readonly config: string;
  readonly transport: 'rest' | 'mcp' | 'both';
  readonly bind?: string;
  readonly mcpMode: 'stdio' | 'http';
  readonly mcpBind?: string;
  readonly dataDir?: string;
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
  readonly airGapped?: boolean;
  readonly walEnabled?: boolean;
  readonly walPath?: string;
  readonly walRepair?: 'truncate-at-first-bad';
  /** false with --no-auth. */
  readonly auth: boolean;
  readonly shutdownTimeout: number;
}

export function registerServeCommand(program: Command): void {
  const usage = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2);
  program
    .command('serve')
    .description('serve the broker over REST and/or MCP until SIGTERM/SIGINT')
    .requiredOption('-c, --config <file>', 'nautilus.yaml')
    .addOption(
      new Option('--transport <transport>', 'what to serve')
        .choices(['rest', 'mcp', 'both'])
        .default('rest'),
    )
    .option('--bind <host:port>', 'REST listen address (default: api.host:api.port)')
    .addOption(
      new Option('--mcp-mode <mode>', 'MCP transport').choices(['stdio', 'http']).default('stdio'),
    )
    .option(
      '--mcp-bind <host:port>',
      'MCP HTTP listen address (default: --bind with --transport mcp, else port + 1)',
    )
    .option('--data-dir <dir>', 'override data_dir')
    .addOption(
      new Option('--log-format <format>', 'log lines').choices([...LOG_FORMATS]).default('json'),
    )
    .addOption(
      new Option('--log-level <level>', 'lowest level logged')
        .choices([...LOG_LEVELS])
        .default('info'),
    )
    .option('--air-gapped', 'refuse to start if anything configured reaches outside this host')
    .option('--wal-enabled', 'override persistence.wal_enabled to true')
    .option('--wal-path <dir>', 'override persistence.wal_path')
    .addOption(
      new Option(
        '--wal-repair <mode>',
        'WAL recovery cuts at the first bad record instead of refusing to start (loses the records after it)',
      ).choices(['truncate-at-first-bad']),
    )
    .option('--no-auth', 'serve REST without API keys (only with no keys, on a loopback address)')
    .option(
      '--shutdown-timeout <ms>',
      'how long in-flight requests may take to finish at shutdown',
      parseMs,
      DEFAULT_SHUTDOWN_TIMEOUT_MS,
    )
    .exitOverride(usage)
    .action(async (opts: ServeOptions) => {
      const code = await serveCommand(opts);
      process.exitCode = code;
      // Everything is closed by now; if a stray handle keeps the loop alive, do not hang.
      setTimeout(() => process.exit(code), 2000).unref();
    });
}

function parseMs(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer number of milliseconds');
  return n;
}

/** Settings derived from the options and the config, all checked. */
interface Plan {
  readonly config: LoadedConfig;
  readonly overrides: ConfigOverrides;
  readonly rest: Bind | null;
  readonly mcp: { readonly mode: 'stdio' | 'http'; readonly bind: Bind | null } | null;
  readonly keys: ReturnType<typeof loadApiKeys>;
  /** The crash-test failpoint armed by NAUTILUS_FAILPOINT (`name:n`), or null. */
  readonly failpoint: string | null;
}

class UsageError extends Error {}

export async function serveCommand(o: ServeOptions): Promise<number> {
  let plan: Plan;
  try {
    plan = makePlan(o);
  } catch (x) {
    process.stderr.write(`nautilus serve: ${(x as Error).message}\n`);
    return 2;
  }
  const logger = createLogger({
    format: o.logFormat,
    level: o.logLevel,
    // Under MCP stdio, stdout carries the protocol.
    destination: plan.mcp?.mode === 'stdio' ? 2 : 1,
  });
  if (plan.failpoint !== null)
    logger.warn(
      { failpoint: plan.failpoint },
      'a crash-test failpoint is armed (NAUTILUS_FAILPOINT): this process will SIGKILL itself',
    );
  if (!o.auth)
    logger.warn(
      { bind: plan.rest },
      'authentication is OFF (--no-auth): any local process may act as any agent',
    );
  return run(o, plan, logger);
}

function makePlan(o: ServeOptions): Plan {
  // A misspelt failpoint would never fire and a crash test would pass for the wrong reason.
  const failpoint = checkFailpointEnv();
  const overrides: ConfigOverrides = {
    ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }),
    ...(o.walEnabled === undefined ? {} : { walEnabled: o.walEnabled }),
    ...(o.walPath === undefined ? {} : { walPath: o.walPath }),
  };
  const config = applyOverrides(loadConfig(o.config), overrides);
  if (o.walRepair !== undefined && !config.persistence.wal_enabled)
    throw new UsageError(
      `--wal-repair: the WAL is not enabled (persistence.wal_enabled in ${config.file}, or --wal-enabled)`,
    );
  if (o.airGapped) {
    const problems = airGapProblems(config);
    if (problems.length > 0)
      throw new UsageError(
        `--air-gapped: the config reaches outside this host:\n  ${problems.join('\n  ')}`,
      );
  }
  const useRest = o.transport !== 'mcp';
  const useMcp = o.transport !== 'rest';
  let rest: Bind | null = null;
  const configured = { host: config.api.host, port: config.api.port };
  const restBind = o.bind === undefined ? configured : parseBind(o.bind, config.api.host);
  if (restBind === null)
    throw new UsageError(`--bind ${o.bind}: expected host:port, e.g. 127.0.0.1:8080`);
  if (useRest) rest = restBind;
  let mcp: Plan['mcp'] = null;
  if (useMcp) {
    let bind: Bind | null = null;
    if (o.mcpMode === 'http') {
      bind =
        o.mcpBind !== undefined
          ? parseBind(o.mcpBind, restBind.host)
          : o.transport === 'mcp'
            ? restBind
            : { host: restBind.host, port: restBind.port === 0 ? 0 : restBind.port + 1 };
      if (bind === null)
        throw new UsageError(`--mcp-bind ${o.mcpBind}: expected host:port, e.g. 127.0.0.1:8081`);
    }
    mcp = { mode: o.mcpMode, bind };
  }
  const keys = loadApiKeys(config);
  if (!o.auth && keys.length > 0)
    throw new UsageError('--no-auth: api.keys are configured; remove the flag to use them');
  if (rest !== null && keys.length === 0) {
    if (o.auth)
      throw new UsageError(
        `no API keys are configured (api.keys, api.keys_file in ${config.file}): every request would be refused. Add a key (docs/server.md), or pass --no-auth to serve without authentication on a loopback address`,
      );
    if (!isLoopbackHost(rest.host))
      throw new UsageError(
        `--no-auth is only allowed on a loopback address, not ${rest.host}: configure api.keys`,
      );
  }
  if (mcp?.mode === 'http' && keys.length === 0)
    throw new UsageError('MCP over HTTP needs API keys (api.keys); it never runs unauthenticated');
  return { config, overrides, rest, mcp, keys, failpoint };
}

async function run(o: ServeOptions, plan: Plan, logger: Logger): Promise<number> {
  const metrics = new NautilusMetrics();
  let stopping = false;
  let requestStop: (why: string) => void = () => {};
  const stop = new Promise<string>((resolve) => {
    requestStop = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.error({ signal }, 'second signal during shutdown: exiting now');
      process.exit(1);
    }
    stopping = true;
    requestStop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A failed WAL fdatasync: nothing more can be made durable, so the server stops and exits 1.
  let walFailed = false;
  const openBroker = (observer: BrokerObserver) =>
    Broker.fromConfig(plan.config.file, {
      overrides: plan.overrides,
      observer,
      warn: (m) => logger.warn(m),
      ...(o.walRepair === undefined ? {} : { walRepair: o.walRepair }),
      onWalFailed: (err) => {
        logger.error({ err }, 'the WAL failed: stopping');
        walFailed = true;
        stopping = true;
        requestStop('wal-failed');
      },
    });
  try {
    let rest: RunningRestServer | null = null;
    if (plan.rest !== null) {
      try {
        rest = await startRestServer({
          config: plan.config,
          overrides: plan.overrides,
          host: plan.rest.host,
          port: plan.rest.port,
          logger,
          metrics,
          auth: o.auth ? new ApiKeyAuth(plan.keys) : null,
          version: VERSION,
          openBroker,
        });
      } catch (x) {
        logger.error({ err: x, bind: plan.rest }, 'cannot listen');
        return 1;
      }
    }
    const starting: Promise<Broker> = rest?.ready ?? openBroker(brokerObserver(metrics, logger));
    const first = await Promise.race([
      starting.then(
        (broker) => ({ broker }),
        (error: unknown) => ({ error }),
      ),
      stop.then((signal) => ({ signal })),
    ]);
    if ('signal' in first) {
      logger.info({ signal: first.signal }, 'stopped during startup');
      await rest?.shutdown({ timeoutMs: o.shutdownTimeout });
      const broker = await starting.catch(() => null);
      if (rest === null) await broker?.close();
      return walFailed ? 1 : 0;
    }
    if ('error' in first) {
      logger.error({ err: first.error }, 'the broker could not start');
      process.stderr.write(`nautilus serve: ${describe(first.error)}\n`);
      await rest?.shutdown({ timeoutMs: o.shutdownTimeout });
      return startupExitCode(first.error);
    }
    const broker = first.broker;
    if (broker.walRecovery !== null)
      logger.info({ wal_recovery: broker.walRecovery }, 'WAL recovered');
    let mcp: McpHandle | null = null;
    if (plan.mcp !== null) {
      try {
        // Loaded only when served: the MCP SDK adds ~0.1 s to every start of a REST-only server.
        const { startMcp } = await import('../transport/mcp/index.ts');
        mcp = await startMcp(broker, {
          mode: plan.mcp.mode,
          ...(plan.mcp.bind === null ? {} : { host: plan.mcp.bind.host, port: plan.mcp.bind.port }),
          apiKeys: plan.keys,
          logger,
        });
      } catch (x) {
        logger.error({ err: x }, 'the MCP transport could not start');
        if (rest !== null) await rest.shutdown({ timeoutMs: o.shutdownTimeout });
        else await broker.close();
        return 1;
      }
      // Over stdio alone, the client hanging up ends the server.
      if (rest === null) void mcp.closed.then(() => requestStop('mcp-closed'));
    }
    const why = await stop;
    logger.info({ reason: why }, 'stop requested');
    const others = mcp === null ? [] : [mcp];
    const result =
      rest !== null
        ? await rest.shutdown({ timeoutMs: o.shutdownTimeout, others })
        : await shutdownServer({
            state: readyState(broker),
            app: null,
            others,
            broker,
            timeoutMs: o.shutdownTimeout,
            logger,
          });
    return result.clean && !walFailed ? 0 : 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

function readyState(broker: Broker): ServerState {
  const s = new ServerState();
  s.ready(broker);
  return s;
}

/** Config and rule problems found while building the broker are the operator's input: 2. */
function startupExitCode(x: unknown): number {
  if (x instanceof NautilusError && /^NAU_(CONFIG|RULES)_/.test(x.code)) return 2;
  return 1;
}

function describe(x: unknown): string {
  if (x instanceof NautilusError) return `${x.code}: ${x.message}`;
  return x instanceof Error ? x.message : 'non-error thrown';
}

const VERSION = ((): string => {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
