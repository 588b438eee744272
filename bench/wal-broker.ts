// bench:wal, broker level: the real Broker in-process (config file, built-in policy, SQLite
// sources, SQLite session store, audit fsynced, attestation on), requests in sessions with the
// WAL off and on, and startup recovery (WAL replay) of 100,000 records.
//
// On/off: for each persistence mode, two brokers are open side by side (own data dir each, same
// disk). For each concurrency, rounds alternate off,on / on,off so that machine noise (other
// processes on a shared VM) hits both sides alike; samples and wall time are summed per side, and
// each round pair also gives a difference (p50) and a ratio (throughput): bench/wal.ts judges the
// targets on their median over the pairs. Between rounds the bench waits until the side that ran
// has no store write left (async mode writes 25 ms later).
//
// Per-stage columns come from the broker's observer: store save and audit append are timed
// around an await, so at concurrency > 1 they also hold whatever other requests ran in between
// (e.g. the requests one WAL group commit released together): compare them at c1 only.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Broker, type BrokerObserver } from '../src/broker/index.ts';
import { NautilusError } from '../src/errors.ts';
import { createNodeWalFs, LOCK_FILE, type WalStats } from '../src/wal/index.ts';
import { BENCH_DATA_TYPES, BENCH_SOURCES, exposureOps } from './exposures.ts';
import { type Latency, latency, log, type Mode, opts, round, sleep, spread } from './wal-common.ts';
import { fillWal, type ScanResult, scanRun } from './wal-library.ts';

// ---- the world -----------------------------------------------------------------------------

const SOURCES = BENCH_SOURCES;
const DATA_TYPES = BENCH_DATA_TYPES;

/** A config in `dir`: three seeded SQLite sources, one agent, the given persistence. */
function writeConfig(dir: string, name: string, mode: Mode, wal: boolean): string {
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
  const path = join(dir, `${name}.yaml`);
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
  wal_enabled: ${wal}
${mode === 'async' && !wal ? '  accept_async_loss: true\n' : ''}`,
  );
  return path;
}

// ---- one side (a broker, WAL off or on) -------------------------------------------------------

interface Side {
  readonly wal: boolean;
  readonly broker: Broker;
  readonly samples: number[];
  /** Per concurrency: wall ms and p50 of each round (same order as the other side's). */
  roundWallMs: number[];
  roundP50: number[];
  requests: number;
  wallMs: number;
  storeSaves: number[];
  auditAppends: number[];
  /** WAL on: per record, append() to durable (the observer's onWalBatch). */
  walWaits: number[];
  lastStoreSaveAt: number;
  /** Per concurrency, a request index (session ids follow it, identically on both sides). */
  next: number;
}

async function openSide(base: string, mode: Mode, wal: boolean): Promise<Side> {
  const name = `${mode}-${wal ? 'on' : 'off'}`;
  const config = writeConfig(base, name, mode, wal);
  const side: Omit<Side, 'broker'> & { broker?: Broker } = {
    wal,
    samples: [],
    roundWallMs: [],
    roundP50: [],
    requests: 0,
    wallMs: 0,
    storeSaves: [],
    auditAppends: [],
    walWaits: [],
    lastStoreSaveAt: 0,
    next: 0,
  };
  const observer: BrokerObserver = {
    onStoreSave: (ms) => {
      side.storeSaves.push(ms);
      side.lastStoreSaveAt = performance.now();
    },
    onAuditAppend: (ms) => side.auditAppends.push(ms),
    onWalBatch: (b) => {
      for (const w of b.waitSeconds) side.walWaits.push(w * 1000);
    },
  };
  side.broker = await Broker.fromConfig(config, {
    auditFsync: true,
    observer,
    ...(wal && opts.walIo === 'pool' ? { walFs: createNodeWalFs({ io: 'pool' }) } : {}),
    overrides: { dataDir: join(base, `.state-${name}`) },
    warn: (m) => process.stderr.write(`nautilus: ${m}\n`),
  });
  return side as Side;
}

/** The WAL writer's counters (null with the WAL off). */
function walStats(side: Side): WalStats | null {
  return side.broker.walStatus();
}

/** Clears what a cell measures (the request index too, unless `keepIndex`). */
function resetCounters(side: Side, keepIndex = false): void {
  side.samples.length = 0;
  side.roundWallMs = [];
  side.roundP50 = [];
  side.requests = 0;
  side.wallMs = 0;
  side.storeSaves = [];
  side.auditAppends = [];
  side.walWaits = [];
  if (!keepIndex) side.next = 0;
}

/** `n` requests from `concurrency` clients; each request in one of `opts.sessions` sessions. */
async function drive(
  side: Side,
  tag: string,
  concurrency: number,
  n: number,
  record: boolean,
): Promise<void> {
  const first = side.next;
  side.next += n;
  const roundSamples: number[] = [];
  let i = first;
  const one = async (k: number) => {
    const started = performance.now();
    try {
      const r = await side.broker.query(
        'analyst',
        { dataTypes: [DATA_TYPES[k % DATA_TYPES.length] as string] },
        { session_id: `${tag}-s${k % opts.sessions}`, request_id: `${tag}-r${k}` },
      );
      if (r.sources_queried.length !== 1)
        throw new Error(`queried ${JSON.stringify(r.sources_queried)}`);
    } catch (x) {
      const code = x instanceof NautilusError ? `${x.code}: ` : '';
      throw new Error(`${tag} (WAL ${side.wal ? 'on' : 'off'}): request ${k}: ${code}${x}`);
    }
    if (record) roundSamples.push(performance.now() - started);
  };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let k = i++; k < first + n; k = i++) await one(k);
    }),
  );
  const wall = performance.now() - t0;
  if (!record) return;
  side.samples.push(...roundSamples);
  side.roundWallMs.push(wall);
  side.roundP50.push(latency(roundSamples).p50);
  side.requests += n;
  side.wallMs += wall;
}

/** Waits until the side has had no store write for 40 ms (async mode's batch has run). */
async function settle(side: Side): Promise<void> {
  await sleep(5);
  while (performance.now() - side.lastStoreSaveAt < 40) await sleep(10);
}

// ---- on/off cells ------------------------------------------------------------------------------

export interface SideResult {
  readonly requests: number;
  readonly latencyMs: Latency;
  readonly throughputPerSecond: number;
  readonly storeSaveMeanMs: number;
  readonly storeSaves: number;
  readonly auditAppendMeanMs: number;
  /** WAL on only: append() to durable per record (null when the broker does not report it). */
  readonly walWaitMs: Latency | null;
  /** WAL on only: group commits in the cell, records per batch, mean fdatasync. */
  readonly walBatches: number | null;
  readonly walRecordsPerBatch: number | null;
  readonly walFdatasyncMeanMs: number | null;
}

export interface CellResult {
  readonly mode: Mode;
  readonly concurrency: number;
  readonly rounds: number;
  readonly off: SideResult;
  readonly on: SideResult;
  /** on - off, over all samples. */
  readonly addedMs: { readonly p50: number; readonly p99: number; readonly p999: number };
  readonly throughputRatio: number;
  /** Per round pair: spread of p50(on) - p50(off) and of throughput on/off. */
  readonly roundAddedP50Ms: { median: number; min: number; max: number };
  readonly roundThroughputRatio: { median: number; min: number; max: number };
  /** Every session request of the cell found in the session (checked on both sides). */
  readonly exposuresChecked: number;
}

function sideResult(side: Side, before: WalStats | null, after: WalStats | null): SideResult {
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const batches = before !== null && after !== null ? after.batches - before.batches : null;
  const appends = before !== null && after !== null ? after.appends - before.appends : null;
  const syncS =
    before !== null && after !== null ? after.syncSecondsTotal - before.syncSecondsTotal : null;
  return {
    requests: side.requests,
    latencyMs: latency(side.samples),
    throughputPerSecond: round(side.requests / (side.wallMs / 1000), 1),
    storeSaveMeanMs: round(mean(side.storeSaves)),
    storeSaves: side.storeSaves.length,
    auditAppendMeanMs: round(mean(side.auditAppends)),
    walWaitMs: side.walWaits.length === 0 ? null : latency(side.walWaits),
    walBatches: batches,
    walRecordsPerBatch:
      batches === null || appends === null ? null : round(appends / Math.max(1, batches), 1),
    walFdatasyncMeanMs:
      batches === null || syncS === null ? null : round((syncS / Math.max(1, batches)) * 1000),
  };
}

async function countExposures(side: Side, tag: string): Promise<number> {
  let n = 0;
  for (let s = 0; s < Math.min(opts.sessions, side.next); s++)
    n += (await side.broker.session(`${tag}-s${s}`)).summary.exposures;
  return n;
}

async function runCell(off: Side, on: Side, mode: Mode, concurrency: number): Promise<CellResult> {
  const tag = `c${concurrency}`;
  log(`  ${mode} c${concurrency}: ${opts.rounds} rounds x ${opts.roundRequests} requests per side`);
  for (const s of [off, on]) resetCounters(s);
  // Warm-up (JIT, the cell's sessions created), not recorded.
  const warm = Math.max(concurrency * 4, Math.round(opts.roundRequests / 3));
  for (const s of [off, on]) {
    await drive(s, tag, concurrency, warm, false);
    await settle(s);
    resetCounters(s, true);
  }
  const walBefore = walStats(on);
  for (let r = 0; r < opts.rounds; r++) {
    const order = r % 2 === 0 ? [off, on] : [on, off];
    for (const s of order) {
      await drive(s, tag, concurrency, opts.roundRequests, true);
      await settle(s);
    }
  }
  const walAfter = walStats(on);
  const offR = sideResult(off, null, null);
  const onR = sideResult(on, walBefore, walAfter);
  const expected = warm + opts.rounds * opts.roundRequests;
  for (const s of [off, on]) {
    const got = await countExposures(s, tag);
    if (got !== expected)
      throw new Error(
        `${mode} ${tag} WAL ${s.wal ? 'on' : 'off'}: ${got} exposures, ${expected} requests`,
      );
  }
  const roundTput = on.roundWallMs.map((w, k) => (off.roundWallMs[k] as number) / w);
  const roundAdded = on.roundP50.map((p, k) => p - (off.roundP50[k] as number));
  return {
    mode,
    concurrency,
    rounds: opts.rounds,
    off: offR,
    on: onR,
    addedMs: {
      p50: round(onR.latencyMs.p50 - offR.latencyMs.p50),
      p99: round(onR.latencyMs.p99 - offR.latencyMs.p99),
      p999: round(onR.latencyMs.p999 - offR.latencyMs.p999),
    },
    throughputRatio: round(onR.throughputPerSecond / offR.throughputPerSecond),
    roundAddedP50Ms: spread(roundAdded),
    roundThroughputRatio: spread(roundTput),
    exposuresChecked: 2 * expected,
  };
}

/** Every concurrency for one persistence mode, the two brokers open side by side. */
export async function brokerOnOff(base: string, mode: Mode): Promise<CellResult[]> {
  const off = await openSide(base, mode, false);
  const on = await openSide(base, mode, true);
  try {
    const cells: CellResult[] = [];
    for (const c of opts.concurrencies) cells.push(await runCell(off, on, mode, c));
    return cells;
  } finally {
    await off.broker.close();
    await on.broker.close();
  }
}

// ---- broker replay ------------------------------------------------------------------------------

export interface BrokerReplayResult {
  readonly records: number;
  readonly sessions: number;
  readonly walBytes: number;
  /** The library alone on the same WAL (no broker, no engine, no store). */
  readonly scan: ScanResult;
  /** Broker.walRecovery: WAL open + scan + replay of every record + checkpoint. */
  readonly walRecoveryMs: number;
  readonly applied: number;
  readonly skipped: number;
  /** Wall time of Broker.fromConfig with that WAL and an empty store. */
  readonly fromConfigMs: number;
  /** Broker.fromConfig on an empty data dir (policy, sources, attestation key): the baseline. */
  readonly fromConfigEmptyMs: number;
  /** Broker.fromConfig again after the replay and a clean close (sessions now in the store). */
  readonly fromConfigRestartMs: number;
  /** What that restart found in the WAL (records left behind are re-read and skipped). */
  readonly restartRecovery: { records: number; skipped: number; ms: number };
  /**
   * The same records back in the WAL with every one already in the store (a crash after the
   * replay, before its checkpoint): what recovery costs when it only has to skip.
   */
  readonly skipRecovery: { records: number; skipped: number; ms: number; fromConfigMs: number };
  readonly recordsPerSecond: number;
}

/**
 * Writes `records` WAL records as live requests would (one exposure each; the first of a session
 * also opens its purpose), spread round-robin over `sessions` sessions, then starts a broker on
 * that WAL with an empty session store (a crash before any store write: everything is replayed).
 * The WAL is created by a first broker start on the empty data dir (its id file included).
 */
export async function brokerReplay(
  base: string,
  mode: Mode = 'synchronous',
): Promise<BrokerReplayResult> {
  const { replayRecords: records, replaySessions: sessions } = opts;
  const config = writeConfig(base, `replay-${mode}`, mode, true);
  const dataDir = join(base, `.state-replay-${mode}`);
  const walDir = join(dataDir, 'wal');
  const open = async () => {
    const t = performance.now();
    const broker = await Broker.fromConfig(config, {
      overrides: { dataDir },
      warn: (m) => process.stderr.write(`nautilus: ${m}\n`),
    });
    return { broker, ms: performance.now() - t };
  };
  // The first start creates the data dir, the session store and the WAL (with its id file).
  log('  Broker.fromConfig on an empty data dir (baseline)');
  const empty = await open();
  await empty.broker.close();
  const t0 = Date.now() - records; // one record per ms, ending now
  log(`  writing ${records} WAL records over ${sessions} sessions`);
  await fillWal(walDir, records, (n) => {
    const k = n - 1;
    const sid = `replay-s${k % sessions}`;
    const requestId = `replay-r${k}`;
    const ts = t0 + k;
    return {
      sid,
      rid: requestId,
      ts,
      ops: exposureOps({
        sessionId: sid,
        requestId,
        n: k,
        timestamp: ts / 1000,
        queryHash: (source) => `${source}-${k % 97}`.padEnd(16, '0'),
        first: k < sessions,
      }),
    };
  });
  log('  library scan of the same WAL');
  const scan = await scanRun(walDir, records);

  // A copy of the WAL as a crash right after the replay would leave it (the lock is the dead
  // process's): every record is then in the store, and recovery only has to skip them.
  const walCopy = join(base, `wal-copy-${mode}`);
  cpSync(walDir, walCopy, { recursive: true, filter: (src) => !src.endsWith(LOCK_FILE) });
  log(`  Broker.fromConfig replaying ${records} records`);
  const replayed = await open();
  const recovery = replayed.broker.walRecovery;
  try {
    if (recovery === null || recovery.records !== records || recovery.applied !== records)
      throw new Error(`replay: ${JSON.stringify(recovery)} for ${records} records`);
    const last = `replay-s${(records - 1) % sessions}`;
    const view = await replayed.broker.session(last);
    const want = Math.ceil(records / sessions);
    if (view.exposures.length < want - 1 || view.exposures.length > want)
      throw new Error(
        `${last}: ${view.exposures.length} exposures after replay, ~${want} expected`,
      );
  } finally {
    await replayed.broker.close();
  }
  log('  Broker.fromConfig again (sessions in the store)');
  const restart = await open();
  const again = restart.broker.walRecovery;
  await restart.broker.close();
  if (again === null || again.applied !== 0)
    throw new Error(`a restart after the replay applied records again: ${JSON.stringify(again)}`);
  log(`  Broker.fromConfig with the ${records} records back in the WAL (all in the store)`);
  rmSync(walDir, { recursive: true, force: true });
  cpSync(walCopy, walDir, { recursive: true });
  const skip = await open();
  const skipped = skip.broker.walRecovery;
  await skip.broker.close();
  if (skipped === null || skipped.records !== records || skipped.applied !== 0)
    throw new Error(`all ${records} records should be skipped: ${JSON.stringify(skipped)}`);
  return {
    records,
    sessions,
    walBytes: scan.walBytes,
    scan,
    walRecoveryMs: round(recovery.ms, 1),
    applied: recovery.applied,
    skipped: recovery.skipped,
    fromConfigMs: round(replayed.ms, 1),
    fromConfigEmptyMs: round(empty.ms, 1),
    fromConfigRestartMs: round(restart.ms, 1),
    restartRecovery: { records: again.records, skipped: again.skipped, ms: round(again.ms, 1) },
    skipRecovery: {
      records: skipped.records,
      skipped: skipped.skipped,
      ms: round(skipped.ms, 1),
      fromConfigMs: round(skip.ms, 1),
    },
    recordsPerSecond: Math.round(records / (recovery.ms / 1000)),
  };
}
