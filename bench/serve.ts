// Server benchmark: `npm run bench:serve [-- --quick] [-- --json-only] [-- --dir <parent>]`.
//
// Starts `nautilus serve` as a child process on a temporary copy of the quickstart (three SQLite
// sources, built-in rules, attestation on, SQLite session store, audit fsync on: the defaults),
// then runs autocannon in a process of its own (bench/serve-load.ts) against POST /v1/request at
// concurrency 1, 16 and 64, after a warm-up run.
//
// Reported per concurrency:
//   req/s, p50, p99       autocannon's client-side numbers (a full HTTP round trip)
//   server mean           nautilus_request_duration_seconds sum / count over the run
//   engine, store, audit, adapters, lock wait
//                         each histogram's sum over the run as a share of the summed request
//                         time (engine = routing + session phases; store = session store writes;
//                         audit = appends until durable, fsync included, shared by a group commit;
//                         adapters = source queries, which run concurrently within a request, so
//                         shares can add up to more than 100%; lock wait = waiting for a session).
// Read from /metrics before and after each run. Only measures; nothing is asserted.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyAuditFile } from '../src/audit/index.ts';

const argv = process.argv.slice(2);
const args = new Set(argv);
const QUICK = args.has('--quick');
const JSON_ONLY = args.has('--json-only');
const PARENT = args.has('--dir') ? (argv[argv.indexOf('--dir') + 1] ?? tmpdir()) : tmpdir();
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const QUICKSTART = join(ROOT, 'examples/quickstart');
/** The quickstart's documented demo key. */
const KEY = 'quickstart-demo-key-not-secret';
const CONCURRENCIES = [1, 16, 64] as const;
const SECONDS = QUICK ? 3 : 10;
const WARMUP_SECONDS = QUICK ? 1 : 3;

function log(text: string): void {
  if (!JSON_ONLY) process.stderr.write(`${text}\n`);
}

// ---- processes -----------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function startServer(config: string, port: number) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src/cli/main.ts'),
      'serve',
      '--config',
      config,
      '--bind',
      `127.0.0.1:${port}`,
      '--log-level',
      'warn',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (b: Buffer) => {
    output += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    output += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, exited, output: () => output };
}

async function waitReady(base: string, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (let i = 0; i < 600; i++) {
    if (gone) throw new Error('the server exited during startup');
    const r = await fetch(`${base}/readyz`).catch(() => null);
    if (r?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the server did not become ready');
}

interface LoadResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number; readonly average: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly duration: number;
}

function runLoad(base: string, connections: number, seconds: number, tag: string) {
  return new Promise<LoadResult>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'bench/serve-load.ts'),
        JSON.stringify({ url: base, connections, seconds, key: KEY, tag }),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch (x) {
        reject(x);
      }
    });
  });
}

// ---- metrics -------------------------------------------------------------------------------

type Samples = Map<string, number>;

async function scrape(base: string): Promise<Samples> {
  const r = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
  const out: Samples = new Map();
  for (const line of (await r.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** Sum over every label set of `name` (e.g. `nautilus_store_save_seconds_sum`). */
function total(s: Samples, name: string): number {
  let sum = 0;
  for (const [series, v] of s) if (series === name || series.startsWith(`${name}{`)) sum += v;
  return sum;
}

const delta = (before: Samples, after: Samples, name: string) =>
  total(after, name) - total(before, name);

// ---- one run -------------------------------------------------------------------------------

interface RunResult {
  readonly concurrency: number;
  readonly seconds: number;
  readonly requests: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly serverMeanMs: number;
  /** Shares of the summed server-side request time. */
  readonly share: {
    readonly engine: number;
    readonly store: number;
    readonly audit: number;
    readonly adapters: number;
    readonly lockWait: number;
  };
  readonly outcomes: Record<string, number>;
}

async function measure(base: string, concurrency: number): Promise<RunResult> {
  const before = await scrape(base);
  const load = await runLoad(base, concurrency, SECONDS, `c${concurrency}`);
  const after = await scrape(base);
  const requestSum = delta(before, after, 'nautilus_request_duration_seconds_sum');
  const requestCount = delta(before, after, 'nautilus_request_duration_seconds_count');
  const share = (name: string) =>
    requestSum === 0 ? 0 : round((100 * delta(before, after, name)) / requestSum);
  const outcomes: Record<string, number> = {};
  for (const o of ['ok', 'denied', 'partial', 'error', 'refused'])
    outcomes[o] = delta(before, after, `nautilus_requests_total{outcome="${o}"}`);
  return {
    concurrency,
    seconds: load.duration,
    requests: load.requests.total,
    reqPerSec: round(load.requests.average),
    p50Ms: load.latency.p50,
    p99Ms: load.latency.p99,
    non2xx: load.non2xx,
    errors: load.errors,
    serverMeanMs: requestCount === 0 ? 0 : round((1000 * requestSum) / requestCount, 2),
    share: {
      engine: share('nautilus_engine_evaluation_seconds_sum'),
      store: share('nautilus_store_save_seconds_sum'),
      audit: share('nautilus_audit_append_seconds_sum'),
      adapters: share('nautilus_adapter_query_seconds_sum'),
      lockWait: share('nautilus_session_lock_wait_seconds_sum'),
    },
    outcomes,
  };
}

// ---- output --------------------------------------------------------------------------------

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  log(`nautilus serve bench${QUICK ? ' (--quick)' : ''}: ${SECONDS}s per concurrency`);
  const dir = mkdtempSync(join(PARENT, 'nautilus-bench-serve-'));
  cpSync(QUICKSTART, dir, { recursive: true, filter: (p) => !p.includes('.nautilus') });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = startServer(join(dir, 'nautilus.yaml'), port);
  const runs: RunResult[] = [];
  let exitCode: number | null = null;
  let auditLines = 0;
  let auditOk = false;
  try {
    await waitReady(base, server.exited);
    log(`warm-up: ${WARMUP_SECONDS}s at concurrency 16`);
    await runLoad(base, 16, WARMUP_SECONDS, 'warmup');
    for (const c of CONCURRENCIES) {
      log(`concurrency ${c}...`);
      runs.push(await measure(base, c));
    }
  } finally {
    server.child.kill('SIGTERM');
    exitCode = await server.exited;
    const verified = await verifyAuditFile(join(dir, '.nautilus', 'audit.jsonl')).catch(() => null);
    auditLines = verified?.entries ?? 0;
    auditOk = verified?.ok ?? false;
    if (exitCode !== 0) log(server.output());
    rmSync(dir, { recursive: true, force: true });
  }
  const result = {
    meta: {
      quick: QUICK,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpu: cpus()[0]?.model ?? 'unknown',
      cpus: cpus().length,
      secondsPerRun: SECONDS,
      workload:
        'POST /v1/request, 3 quickstart agents, every request in a session (64 active, 8 requests each)',
      serverExit: exitCode,
      auditLines,
      auditChainOk: auditOk,
    },
    runs,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (JSON_ONLY) return;
  const pct = (x: number) => `${x.toFixed(1)}%`;
  process.stdout.write(
    `\n${table(
      [
        'conc',
        'req/s',
        'p50 ms',
        'p99 ms',
        'server ms',
        'engine',
        'store',
        'audit',
        'adapters',
        'lock wait',
        'non-2xx',
      ],
      runs.map((r) => [
        String(r.concurrency),
        r.reqPerSec.toFixed(0),
        r.p50Ms.toFixed(1),
        r.p99Ms.toFixed(1),
        r.serverMeanMs.toFixed(2),
        pct(r.share.engine),
        pct(r.share.store),
        pct(r.share.audit),
        pct(r.share.adapters),
        pct(r.share.lockWait),
        String(r.non2xx + r.errors),
      ]),
    )}\n`,
  );
}

main().catch((x: unknown) => {
  process.stderr.write(
    `bench failed: ${x instanceof Error ? (x.stack ?? x.message) : String(x)}\n`,
  );
  process.exitCode = 1;
});
