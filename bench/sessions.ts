// Sessions benchmark: `npm run bench:sessions [-- --quick] [-- --json-only] [-- --dir <parent>]`.
//
// 1. Request latency of `Broker.query` in a session, persistence `synchronous` vs `async`
//    (async without the WAL, so `accept_async_loss: true`), at concurrency 1 and 16, with the
//    requests spread over many sessions (256, round-robin: concurrent requests never share one)
//    and all in one session (they queue on its lock, and its state grows with every request).
//    Session store: SQLite, synchronous=FULL (each save fsynced). Audit log: fsynced (the default,
//    group commit) in every run, so sync and async differ only by the session store write.
//    Attestation on. Sources: three small SQLite tables; no request is denied.
// 2. Startup deserialization: a store seeded with 1,000 and 10,000 open sessions of 10 facts each
//    (states in the SessionManager's stored format, version 2, built with requestOps and written
//    through the store API), then timed: reading every row (`loadAllOpen`), `SessionManager.start`
//    (open + read + apply every session through the policy), and `Broker.fromConfig` against
//    the same broker on an empty store.
//
// Only measures: nothing is asserted about time. Each run checks its own result (every request
// answered, the expected number of exposures, every seeded session restored) and fails otherwise.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../src/broker/index.ts';
import { loadPolicy } from '../src/broker/policy-setup.ts';
import { PolicySessionEngine } from '../src/broker/session-engine.ts';
import { loadConfig } from '../src/config/index.ts';
import { NautilusError } from '../src/errors.ts';
import { SessionManager } from '../src/session/manager.ts';
import type { SessionOp } from '../src/session/ops.ts';
import { SqliteSessionStore } from '../src/session/store/index.ts';
import { encodeState, rowsOfOps } from '../src/session/stored-state.ts';
import { BENCH_DATA_TYPES, BENCH_SOURCES, exposureOps } from './exposures.ts';
import { table } from './table.ts';

const argv = process.argv.slice(2);
const args = new Set(argv);
const QUICK = args.has('--quick');
const JSON_ONLY = args.has('--json-only');
/** Parent folder for the temporary world (fsync cost depends on the disk under it). */
const PARENT = args.has('--dir') ? (argv[argv.indexOf('--dir') + 1] ?? tmpdir()) : tmpdir();

const REQUESTS = QUICK ? 300 : 2000;
const WARMUP = QUICK ? 50 : 200;
const SESSIONS = 256;
const CONCURRENCIES = [1, 16] as const;
const MODES = ['synchronous', 'async'] as const;
const SPREADS = ['many sessions', 'one session'] as const;
const STARTUP_SIZES = [1000, 10_000] as const;
const FACTS_PER_SESSION = 10;

type Mode = (typeof MODES)[number];
type Spread = (typeof SPREADS)[number];

function log(text: string): void {
  if (!JSON_ONLY) process.stderr.write(`${text}\n`);
}

// ---- the world -----------------------------------------------------------------------------

const SOURCES = BENCH_SOURCES;
const DATA_TYPES = BENCH_DATA_TYPES;

/** A config in `dir`: three seeded SQLite sources, one agent, the given persistence mode. */
function writeWorld(dir: string, mode: Mode): string {
  mkdirSync(join(dir, 'seed'), { recursive: true });
  const sources = SOURCES.map((s) => {
    writeFileSync(
      join(dir, 'seed', `${s.id}.sql`),
      `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
       INSERT INTO items (name) VALUES ('${s.id}-1'), ('${s.id}-2'), ('${s.id}-3');`,
    );
    return `  - id: ${s.id}
    type: sqlite
    classification: ${s.cls}
    data_types: [${s.types}]
    connection: ./data/${s.id}.db
    seed_sql: ./seed/${s.id}.sql
    table: items
    allowed_columns: [id, name]`;
  });
  const path = join(dir, `nautilus-${mode}.yaml`);
  writeFileSync(
    path,
    `data_dir: ./state
sources:
${sources.join('\n')}
agents:
  registered:
    - { id: analyst, clearance: secret, default_purpose: audit }
session_store:
  backend: sqlite
persistence:
  mode: ${mode}
${mode === 'async' ? '  accept_async_loss: true\n' : ''}`,
  );
  return path;
}

// ---- statistics and formatting -------------------------------------------------------------

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

interface Latency {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

function latency(samples: readonly number[]): Latency {
  const s = samples.slice().sort((a, b) => a - b);
  const mean = s.reduce((x, y) => x + y, 0) / Math.max(1, s.length);
  return {
    p50: round(percentile(s, 50), 3),
    p90: round(percentile(s, 90), 3),
    p99: round(percentile(s, 99), 3),
    max: round(s.at(-1) ?? Number.NaN, 3),
    mean: round(mean, 3),
  };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const fmt = (x: number | null, digits = 2): string =>
  x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(digits);

// ---- 1. request latency --------------------------------------------------------------------

interface LatencyResult {
  readonly name: string;
  readonly mode: Mode;
  readonly concurrency: number;
  readonly spread: Spread;
  readonly sessions: number;
  readonly requests: number;
  readonly warmup: number;
  readonly wallSeconds: number;
  readonly throughputPerSecond: number;
  readonly latencyMs: Latency;
  /** One-session runs: latency of the first and the last tenth (the state grows in between). */
  readonly firstTenthP50Ms: number | null;
  readonly lastTenthP50Ms: number | null;
  /** Exposures recorded over all sessions (checked against the requests sent). */
  readonly exposures: number;
  readonly storeBytes: number;
}

async function runLatency(
  base: string,
  mode: Mode,
  concurrency: number,
  spread: Spread,
): Promise<LatencyResult> {
  const tag = `${mode}-c${concurrency}-${spread === 'one session' ? 'one' : 'many'}`;
  const name = `${mode} c${concurrency} ${spread}`;
  const dataDir = join(base, `.state-${tag}`);
  log(`  ${name}: ${WARMUP} warm-up + ${REQUESTS} requests`);
  const broker = await Broker.fromConfig(join(base, `nautilus-${mode}.yaml`), {
    auditFsync: true,
    overrides: { dataDir },
    warn: (m) => process.stderr.write(`nautilus: ${m}\n`),
  });
  const sessionOf = (i: number, record: boolean) =>
    spread === 'one session'
      ? `one-${record ? 'r' : 'w'}`
      : `s-${record ? 'r' : 'w'}${i % SESSIONS}`;
  const samples: number[] = [];
  const order: number[] = [];
  const one = async (i: number, record: boolean) => {
    const started = performance.now();
    try {
      const r = await broker.query(
        'analyst',
        { dataTypes: [DATA_TYPES[i % DATA_TYPES.length] as string] },
        { session_id: sessionOf(i, record), request_id: `${tag}-${record ? 'r' : 'w'}${i}` },
      );
      if (r.sources_queried.length !== 1)
        throw new Error(`request ${i} queried ${JSON.stringify(r.sources_queried)}`);
    } catch (x) {
      const code = x instanceof NautilusError ? `${x.code}: ` : '';
      throw new Error(`${name}: request ${i} failed: ${code}${String(x)}`);
    }
    if (record) {
      samples.push(performance.now() - started);
      order.push(i);
    }
  };
  const drive = async (n: number, record: boolean) => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < n; i = next++) await one(i, record);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  let wallSeconds = 0;
  let exposures = 0;
  try {
    await drive(WARMUP, false);
    const t0 = performance.now();
    await drive(REQUESTS, true);
    wallSeconds = (performance.now() - t0) / 1000;
    const ids =
      spread === 'one session'
        ? ['one-r']
        : Array.from({ length: Math.min(SESSIONS, REQUESTS) }, (_, i) => `s-r${i}`);
    for (const id of ids) exposures += (await broker.session(id)).summary.exposures;
  } finally {
    await broker.close();
  }
  if (exposures !== REQUESTS)
    throw new Error(`${name}: ${exposures} exposures recorded for ${REQUESTS} requests`);
  // Latency by request index: how the one-session run slows down as its state grows.
  const byIndex = order
    .map((i, k) => [i, samples[k] as number] as const)
    .sort((a, b) => a[0] - b[0]);
  const tenth = Math.max(1, Math.floor(byIndex.length / 10));
  const p50Of = (xs: ReadonlyArray<readonly [number, number]>) => latency(xs.map((x) => x[1])).p50;
  return {
    name,
    mode,
    concurrency,
    spread,
    sessions: spread === 'one session' ? 1 : SESSIONS,
    requests: samples.length,
    warmup: WARMUP,
    wallSeconds: round(wallSeconds, 3),
    throughputPerSecond: round(samples.length / wallSeconds, 1),
    latencyMs: latency(samples),
    firstTenthP50Ms: spread === 'one session' ? p50Of(byIndex.slice(0, tenth)) : null,
    lastTenthP50Ms: spread === 'one session' ? p50Of(byIndex.slice(-tenth)) : null,
    exposures,
    storeBytes: statSync(join(dataDir, 'sessions.db')).size,
  };
}

// ---- 2. startup deserialization ------------------------------------------------------------

interface StartupResult {
  readonly sessions: number;
  readonly factsPerSession: number;
  readonly seedSeconds: number;
  readonly storeBytes: number;
  /** SqliteSessionStore.open + loadAllOpen (read and JSON.parse every row). */
  readonly loadAllOpenMs: number;
  /** SessionManager.start on a fresh policy engine: open, read, apply every session. */
  readonly managerStartMs: number;
  /** Session facts in working memory after the restore (the policy derives summaries, flags). */
  readonly factsInMemory: number;
  readonly fromConfigMs: number;
  readonly fromConfigEmptyMs: number;
  readonly heapUsedMb: number;
}

/** Ten facts: the session's purpose and nine exposures over the three sources. */
function seededFacts(sessionId: string, timestamp: number): SessionOp[] {
  const ops: SessionOp[] = [];
  for (let r = 0; r < FACTS_PER_SESSION - 1; r++) {
    ops.push(
      ...exposureOps({
        sessionId,
        requestId: `${sessionId}-r${r}`,
        n: r,
        timestamp: timestamp + r,
        queryHash: () => `${sessionId}-q${r}`,
        first: r === 0,
      }),
    );
  }
  if (ops.length !== FACTS_PER_SESSION) throw new Error(`built ${ops.length} facts, not 10`);
  return ops;
}

async function runStartup(base: string, sessions: number): Promise<StartupResult> {
  log(`  startup with ${sessions} stored sessions`);
  const configPath = join(base, 'nautilus-synchronous.yaml');
  const dataDir = join(base, `.state-startup-${sessions}`);
  const emptyDir = join(base, `.state-startup-empty-${sessions}`);
  const dbPath = join(dataDir, 'sessions.db');
  const now = new Date();

  // Seed through the store API (NORMAL: the seeding itself is not what is measured).
  let t0 = performance.now();
  const seeder = new SqliteSessionStore({ path: dbPath, synchronous: 'NORMAL' });
  await seeder.open();
  for (let i = 0; i < sessions; i++) {
    const id = `seed-${i}`;
    await seeder.save({
      sessionId: id,
      status: 'open',
      state: encodeState(rowsOfOps(seededFacts(id, now.getTime() / 1000 - 3600)), {}),
      walLsn: 0,
      expectedVersion: 0,
      now,
    });
  }
  await seeder.close();
  const seedSeconds = (performance.now() - t0) / 1000;

  const reader = new SqliteSessionStore({ path: dbPath });
  t0 = performance.now();
  await reader.open();
  const rows = await reader.loadAllOpen();
  const loadAllOpenMs = performance.now() - t0;
  await reader.close();
  if (rows.length !== sessions) throw new Error(`read ${rows.length} of ${sessions} sessions`);

  // The SessionManager alone, the way Broker.fromConfig builds it.
  const config = loadConfig(configPath);
  const policy = loadPolicy(config, () => now);
  const engine = new PolicySessionEngine(policy.policy);
  const manager = new SessionManager({
    store: new SqliteSessionStore({ path: dbPath }),
    engine,
    ttlSeconds: config.session_store.ttl_seconds,
    mode: 'synchronous',
    clock: () => now,
    warn: (m) => process.stderr.write(`nautilus: ${m}\n`),
    onClosed: async () => {},
  });
  const heapBefore = process.memoryUsage().heapUsed;
  const started = await manager.start();
  const heapUsedMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  if (!manager.available || started.sessions !== sessions)
    throw new Error(`SessionManager.start restored ${started.sessions} of ${sessions} sessions`);
  let factsInMemory = 0;
  for (let i = 0; i < sessions; i++) factsInMemory += engine.facts(`seed-${i}`).length;
  await manager.shutdown();

  const open = async (dir: string) => {
    const t = performance.now();
    const broker = await Broker.fromConfig(configPath, {
      overrides: { dataDir: dir },
      warn: (m) => process.stderr.write(`nautilus: ${m}\n`),
    });
    const ms = performance.now() - t;
    return { broker, ms };
  };
  const empty = await open(emptyDir);
  await empty.broker.close();
  const seeded = await open(dataDir);
  try {
    const view = await seeded.broker.session(`seed-${sessions - 1}`);
    if (view.exposures.length !== FACTS_PER_SESSION - 1)
      throw new Error(`seed-${sessions - 1} came back with ${view.exposures.length} exposures`);
  } finally {
    await seeded.broker.close();
  }
  return {
    sessions,
    factsPerSession: FACTS_PER_SESSION,
    seedSeconds: round(seedSeconds, 2),
    storeBytes: statSync(dbPath).size,
    loadAllOpenMs: round(loadAllOpenMs, 1),
    managerStartMs: round(started.ms, 1),
    factsInMemory,
    fromConfigMs: round(seeded.ms, 1),
    fromConfigEmptyMs: round(empty.ms, 1),
    heapUsedMb: round(heapUsedMb, 1),
  };
}

// ---- main ----------------------------------------------------------------------------------

function tables(latencies: readonly LatencyResult[], startups: readonly StartupResult[]): string[] {
  const lines: string[] = [];
  lines.push(
    table(
      'Broker.query in a session: wall latency (ms); SQLite store (FULL), audit fsynced',
      ['scenario', 'requests', 'p50', 'p90', 'p99', 'max', 'mean', 'req/s', 'p50 first/last 10%'],
      latencies.map((r) => [
        r.name,
        String(r.requests),
        fmt(r.latencyMs.p50),
        fmt(r.latencyMs.p90),
        fmt(r.latencyMs.p99),
        fmt(r.latencyMs.max),
        fmt(r.latencyMs.mean),
        fmt(r.throughputPerSecond, 0),
        r.firstTenthP50Ms === null ? '' : `${fmt(r.firstTenthP50Ms)} / ${fmt(r.lastTenthP50Ms)}`,
      ]),
    ),
  );
  lines.push('');
  lines.push(
    table(
      `startup with stored sessions (${FACTS_PER_SESSION} facts each), ms`,
      [
        'sessions',
        'store MB',
        'loadAllOpen',
        'SessionManager.start',
        'facts in memory',
        'fromConfig',
        'fromConfig (empty store)',
        'heap MB',
      ],
      startups.map((s) => [
        String(s.sessions),
        fmt(s.storeBytes / 2 ** 20, 1),
        fmt(s.loadAllOpenMs, 1),
        fmt(s.managerStartMs, 1),
        String(s.factsInMemory),
        fmt(s.fromConfigMs, 1),
        fmt(s.fromConfigEmptyMs, 1),
        fmt(s.heapUsedMb, 1),
      ]),
    ),
  );
  lines.push('');
  lines.push(
    'sync: the session row is saved (fsynced) before the answer; async: saves are batched every',
    '25 ms off the request path (accept_async_loss: a crash loses up to that window).',
    'Both fsync the audit line before answering. "one session": requests queue on its lock.',
  );
  return lines;
}

async function main(): Promise<void> {
  const started = performance.now();
  log(`nautilus sessions bench${QUICK ? ' (--quick)' : ''}`);
  const base = mkdtempSync(join(PARENT, 'nautilus-bench-sessions-'));
  const latencies: LatencyResult[] = [];
  const startups: StartupResult[] = [];
  try {
    for (const mode of MODES) writeWorld(base, mode);
    for (const spread of SPREADS)
      for (const c of CONCURRENCIES)
        for (const mode of MODES) latencies.push(await runLatency(base, mode, c, spread));
    for (const n of STARTUP_SIZES) startups.push(await runStartup(base, n));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  const result = {
    meta: {
      quick: QUICK,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpu: cpus()[0]?.model ?? 'unknown',
      cpus: cpus().length,
      dataDirParent: PARENT,
      sessionStore: 'sqlite, synchronous=FULL',
      audit: 'fsync on (default group commit) in every run',
      workload: `Broker.query (structured) for one of ${DATA_TYPES.length} data types, round-robin; ${SESSIONS} sessions or one`,
      totalSeconds: round((performance.now() - started) / 1000),
    },
    latency: latencies,
    startup: startups,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (JSON_ONLY) return;
  process.stdout.write(`\n${tables(latencies, startups).join('\n')}\n`);
}

main().catch((x: unknown) => {
  process.stderr.write(
    `bench failed: ${x instanceof Error ? (x.stack ?? x.message) : String(x)}\n`,
  );
  process.exitCode = 1;
});
