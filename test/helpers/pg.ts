// A throwaway PostgreSQL cluster for tests, via scripts/pg-test.sh (see its header). Each call
// starts its own cluster on a free port, so test files running in parallel do not collide.
//
//   const pg = usePgCluster({ setup: async (c) => { ... }, teardown: async () => { ... } });
//   test('x', async (t) => {
//     if (pg.cluster === undefined) return t.skip(pg.skipReason);
//     ... new pg.Client(pg.cluster.databaseUrl) ...
//   });
//
// Tests skip (visibly) only when no PostgreSQL server binaries exist; if binaries exist and the
// cluster does not start, before() fails and so does every test in the file.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/pg-test.sh', import.meta.url));

export interface PgTestCluster {
  /** `postgres://postgres@127.0.0.1:<port>/nautilus_test` (trust auth). */
  readonly databaseUrl: string;
  readonly port: number;
  /** The cluster directory (server log: `<base>/server.log`). */
  readonly base: string;
  stop(): Promise<void>;
}

/** The server binary directory, found the way pg-test.sh finds it; undefined when absent. */
export function findPgBin(): string | undefined {
  const env = process.env.PGBIN;
  if (env !== undefined && existsSync(join(env, 'initdb'))) return env;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    if (versions[0] !== undefined) return join(debian, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter))
    if (dir !== '' && existsSync(join(dir, 'initdb'))) return dir;
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr !== null
          ? resolve(addr.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Parses `export PGBIN=… PGBASE=… PGOSUSER=… DATABASE_URL=…`. */
export function parseExportLine(stdout: string): Record<string, string> {
  const line = stdout.split('\n').find((l) => l.startsWith('export '));
  if (line === undefined) throw new Error(`pg-test.sh printed no export line:\n${stdout}`);
  const vars: Record<string, string> = {};
  for (const part of line.slice('export '.length).trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) vars[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return vars;
}

const live = new Set<string>();
let exitHookInstalled = false;

/** Starts a cluster; throws when binaries exist but the cluster does not start (3 ports tried). */
export async function startPgCluster(): Promise<PgTestCluster> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test process that dies without after() still removes its clusters.
    process.on('exit', () => {
      for (const base of live) spawnSync('bash', [SCRIPT, 'stop', base], { stdio: 'ignore' });
    });
  }
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const r = await run(['start', String(port)]);
    if (r.code !== 0) {
      lastError = r.stderr;
      continue;
    }
    const vars = parseExportLine(r.stdout);
    const base = vars.PGBASE;
    const databaseUrl = vars.DATABASE_URL;
    if (base === undefined || databaseUrl === undefined)
      throw new Error(`pg-test.sh export line lacks PGBASE or DATABASE_URL:\n${r.stdout}`);
    live.add(base);
    let stopped = false;
    return {
      databaseUrl,
      port,
      base,
      async stop() {
        if (stopped) return;
        stopped = true;
        const s = await run(['stop', base]);
        live.delete(base);
        if (s.code !== 0) throw new Error(`pg-test.sh stop failed:\n${s.stderr}`);
      },
    };
  }
  throw new Error(`pg-test.sh could not start a cluster after 3 attempts:\n${lastError}`);
}

export interface PgClusterRef {
  /** Set once before() has run, unless PostgreSQL is not installed. */
  readonly cluster: PgTestCluster | undefined;
  /** Why tests must skip; set when cluster is undefined. */
  readonly skipReason: string;
}

export interface PgClusterHooks {
  /** Runs right after the cluster started (create tables, open clients). */
  readonly setup?: (cluster: PgTestCluster) => Promise<void> | void;
  /** Runs right before the cluster stops (close clients and pools). */
  readonly teardown?: () => Promise<void> | void;
}

/**
 * Registers before()/after() hooks in the calling suite (or file) that start and stop a cluster.
 * Put setup and teardown in `hooks`, not in separate before()/after() calls: Node 20 does not
 * wait for one file-level hook to finish before starting the next, so a client could connect
 * before the cluster exists or outlive it.
 */
export function usePgCluster(hooks: PgClusterHooks = {}): PgClusterRef {
  const ref: { cluster: PgTestCluster | undefined; skipReason: string } = {
    cluster: undefined,
    skipReason: 'PostgreSQL cluster not started yet',
  };
  before(async () => {
    if (findPgBin() === undefined) {
      ref.skipReason =
        'PostgreSQL server binaries not found (install the Debian package postgresql or set PGBIN)';
      return;
    }
    const cluster = await startPgCluster();
    ref.cluster = cluster;
    await hooks.setup?.(cluster);
  });
  after(async () => {
    if (ref.cluster === undefined) return;
    try {
      await hooks.teardown?.();
    } finally {
      await ref.cluster.stop();
    }
  });
  return ref;
}
