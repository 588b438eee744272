// `nautilus config check <file>`: validates a nautilus.yaml and prints a short summary, or every
// problem as `file:line:col: path: message`. Exit 0 valid, 1 problems found, 2 unreadable file
// or bad arguments.
import type { Command, CommanderError } from 'commander';
import {
  applyOverrides,
  type ConfigOverrides,
  type ConfigProblem,
  formatProblem,
  type LoadedConfig,
  loadConfig,
} from '../config/index.ts';
import { NautilusError } from '../errors.ts';

export interface ConfigCommandIo {
  out(text: string): void;
  err(text: string): void;
}

const stdio: ConfigCommandIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function configSummary(c: LoadedConfig): string {
  const byType = new Map<string, number>();
  for (const s of c.sources) byType.set(s.type, (byType.get(s.type) ?? 0) + 1);
  const types = [...byType].map(([t, n]) => `${t} ${n}`).join(', ');
  const store = c.session_store;
  const storeWhere =
    store.backend === 'sqlite'
      ? ` ${store.path}`
      : store.backend === 'postgres'
        ? ' (dsn set)'
        : '';
  const p = c.persistence;
  const rows: Array<[string, string]> = [
    ['data_dir', c.data_dir],
    ['sources', `${c.sources.length}${types === '' ? '' : ` (${types})`}`],
    [
      'agents',
      `${c.agents.registered.length} registered; unregistered agents ${
        c.agents.allow_unregistered
          ? `allowed (clearance ${c.agents.unregistered_clearance})`
          : 'refused'
      }`,
    ],
    ['session store', `${store.backend}${storeWhere}`],
    ['persistence', `${p.mode}, WAL ${p.wal_enabled ? `on (${p.wal_path})` : 'off'}`],
    ['api', `${c.api.host}:${c.api.port}, ${plural(c.api.keys.length, 'key')}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return `OK: ${c.file}\n${rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)} ${v}\n`).join('')}`;
}

/** Runs the check and returns the exit code. */
export function configCheckCommand(
  file: string,
  overrides: ConfigOverrides = {},
  io: ConfigCommandIo = stdio,
): number {
  try {
    let config = loadConfig(file);
    if (Object.keys(overrides).length > 0) config = applyOverrides(config, overrides);
    io.out(configSummary(config));
    return 0;
  } catch (e) {
    if (!(e instanceof NautilusError)) throw e;
    if (e.code === 'NAU_CONFIG_UNREADABLE') {
      io.err(`nautilus config check: ${e.message}\n`);
      return 2;
    }
    const problems = (e.detail.problems ?? []) as ConfigProblem[];
    if (problems.length === 0) io.err(`[${e.code}] ${e.message}\n`);
    for (const p of problems) io.err(`${formatProblem(String(e.detail.file ?? file), p)}\n`);
    io.err(`FAILED: ${plural(problems.length || 1, 'problem')} in ${file}\n`);
    return 1;
  }
}

export function registerConfigCommand(program: Command): void {
  const usage = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2);
  const config = program.command('config').description('nautilus.yaml tools').exitOverride(usage);
  config
    .command('check')
    .description('validate a nautilus.yaml: print a summary, or every problem with file:line:col')
    .argument('<file>', 'configuration file')
    .option('--data-dir <dir>', 'override data_dir (as `serve` would)')
    .option('--wal-enabled', 'override persistence.wal_enabled to true')
    .option('--wal-path <dir>', 'override persistence.wal_path')
    .exitOverride(usage)
    .action((file: string, opts: { dataDir?: string; walEnabled?: boolean; walPath?: string }) => {
      process.exitCode = configCheckCommand(file, {
        ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
        ...(opts.walEnabled === undefined ? {} : { walEnabled: opts.walEnabled }),
        ...(opts.walPath === undefined ? {} : { walPath: opts.walPath }),
      });
    });
}
