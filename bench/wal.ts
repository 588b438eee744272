// WAL benchmark: `npm run bench:wal [-- --quick] [-- --json-only] [-- --dir <parent>]`.
//
// 1. The floor: raw append (~300 B) + fdatasync latency on the disk under --dir (default the OS
//    temp dir), with plain node:fs calls: no WAL can commit faster than this.
// 2. WalWriter.append latency (append() to durable) and throughput at concurrency 1, 8 and 32
//    (each client appends, awaits, appends again), with the default blocking I/O and, for
//    comparison, the threadpool variant (`io: 'pool'`).
// 3. Recovery of 100,000 records: the scan that validates every line (what WalWriter.open does
//    before taking traffic) and reading every record back (what replay feeds the engine).
//
// Only measures: nothing is asserted about time. Each run checks its own result (every append
// acknowledged with consecutive LSNs, every record read back) and fails otherwise.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createNodeWalFs,
  scanWal,
  type WalAppendInput,
  type WalFs,
  WalWriter,
} from '../src/wal/index.ts';

const argv = process.argv.slice(2);
const args = new Set(argv);
const QUICK = args.has('--quick');
const JSON_ONLY = args.has('--json-only');
const PARENT = args.has('--dir') ? (argv[argv.indexOf('--dir') + 1] ?? tmpdir()) : tmpdir();

const RAW_SAMPLES = QUICK ? 500 : 5000;
const APPENDS = QUICK ? 1000 : 10_000;
const WARMUP = QUICK ? 100 : 500;
const CONCURRENCIES = [1, 8, 32] as const;
const REPLAY_RECORDS = 100_000;

function log(text: string): void {
  if (!JSON_ONLY) process.stderr.write(`${text}\n`);
}

// ---- statistics and formatting -------------------------------------------------------------

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function latency(samples: readonly number[]): Latency {
  const s = samples.slice().sort((a, b) => a - b);
  return {
    p50: round(percentile(s, 50)),
    p99: round(percentile(s, 99)),
    p999: round(percentile(s, 99.9)),
    max: round(s.at(-1) ?? Number.NaN),
    mean: round(s.reduce((x, y) => x + y, 0) / Math.max(1, s.length)),
  };
}

function table(title: string, header: readonly string[], rows: readonly (readonly string[])[]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [title, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join(
    '\n',
  );
}

const fmt = (x: number, digits = 3): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

// ---- workload -------------------------------------------------------------------------------

/** One request's exposure op, the size a session record has in practice (~300 B). */
function record(n: number): WalAppendInput {
  const sid = `session-${n % 256}`;
  return {
    sid,
    rid: `req-${n}`,
    ts: 1_700_000_000_000 + n,
    ops: [
      {
        template: 'session_exposure',
        slots: {
          session_id: sid,
          request_id: `req-${n}`,
          agent_id: 'agent-analyst',
          source_id: 'vulns',
          data_types: ['vulnerability'],
          classification: 'cui',
          fields_returned: ['id', 'name'],
          record_count: 3,
          timestamp: 1_700_000_000 + n,
          query_hash: 'f'.repeat(16),
        },
      },
    ],
  };
}

// ---- 1. the floor ---------------------------------------------------------------------------

interface RawResult {
  readonly samples: number;
  readonly bytesPerWrite: number;
  readonly latencyMs: Latency;
}

function rawFsync(dir: string): RawResult {
  const path = join(dir, 'raw.jsonl');
  const fd = openSync(path, 'a');
  const line = Buffer.from(`00000000 ${JSON.stringify(record(1))}\n`);
  const samples: number[] = [];
  try {
    for (let i = 0; i < RAW_SAMPLES + 50; i++) {
      const t0 = performance.now();
      writeSync(fd, line);
      fdatasyncSync(fd);
      if (i >= 50) samples.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
  }
  return { samples: samples.length, bytesPerWrite: line.length, latencyMs: latency(samples) };
}

// ---- 2. writer append latency ----------------------------------------------------------------

interface AppendResult {
  readonly name: string;
  readonly io: 'sync' | 'pool';
  readonly concurrency: number;
  readonly appends: number;
  readonly latencyMs: Latency;
  readonly throughputPerSecond: number;
  readonly batches: number;
  readonly recordsPerBatch: number;
  readonly fdatasyncMeanMs: number;
}

async function appendRun(
  dir: string,
  io: 'sync' | 'pool',
  concurrency: number,
): Promise<AppendResult> {
  const fs: WalFs = createNodeWalFs({ io });
  const walDir = join(dir, `wal-${io}-${concurrency}`);
  const writer = await WalWriter.open(walDir, { fs, minFreeBytes: 0 });
  let n = 0;
  const run = async (count: number, samples: number[] | null) => {
    let left = count;
    const client = async () => {
      while (left > 0) {
        left--;
        const t0 = performance.now();
        await writer.append(record(++n));
        samples?.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
  };
  await run(WARMUP, null);
  const before = writer.stats();
  const samples: number[] = [];
  const t0 = performance.now();
  await run(APPENDS, samples);
  const elapsed = (performance.now() - t0) / 1000;
  const after = writer.stats();
  await writer.close();
  const scan = await scanWal(walDir);
  if (scan.recordCount !== WARMUP + APPENDS || scan.lastLsn !== WARMUP + APPENDS) {
    throw new Error(`${walDir}: expected ${WARMUP + APPENDS} records, found ${scan.recordCount}`);
  }
  const batches = after.batches - before.batches;
  return {
    name: `writer, ${concurrency} concurrent, io=${io}`,
    io,
    concurrency,
    appends: APPENDS,
    latencyMs: latency(samples),
    throughputPerSecond: Math.round(APPENDS / elapsed),
    batches,
    recordsPerBatch: round(APPENDS / batches, 1),
    fdatasyncMeanMs: round(((after.syncSecondsTotal - before.syncSecondsTotal) / batches) * 1000),
  };
}

// ---- 3. recovery --------------------------------------------------------------------------------

interface ReplayResult {
  readonly records: number;
  readonly walBytes: number;
  readonly segments: number;
  readonly scanSeconds: number;
  readonly readSeconds: number;
  readonly openSeconds: number;
  readonly recordsPerSecond: number;
}

async function replayRun(dir: string): Promise<ReplayResult> {
  const walDir = join(dir, 'wal-replay');
  const writer = await WalWriter.open(walDir, { minFreeBytes: 0 });
  let n = 0;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (n < REPLAY_RECORDS) await writer.append(record(++n));
    }),
  );
  await writer.close();

  const t0 = performance.now();
  const scan = await scanWal(walDir);
  const t1 = performance.now();
  let count = 0;
  let lastLsn = 0;
  for await (const r of scan.readRecords()) {
    if (r.lsn !== lastLsn + 1) throw new Error(`LSN ${r.lsn} after ${lastLsn}`);
    lastLsn = r.lsn;
    count++;
  }
  const t2 = performance.now();
  if (count !== scan.recordCount || count < REPLAY_RECORDS) {
    throw new Error(`read ${count} records, scan counted ${scan.recordCount}`);
  }
  const o0 = performance.now();
  const reopened = await WalWriter.open(walDir, { minFreeBytes: 0 });
  const openSeconds = (performance.now() - o0) / 1000;
  await reopened.close();
  return {
    records: count,
    walBytes: scan.bytes,
    segments: scan.segments.length,
    scanSeconds: round((t1 - t0) / 1000),
    readSeconds: round((t2 - t1) / 1000),
    openSeconds: round(openSeconds),
    recordsPerSecond: Math.round(count / ((t2 - t0) / 1000)),
  };
}

// ---- main ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  log(`nautilus WAL bench${QUICK ? ' (--quick)' : ''}, directory under ${PARENT}`);
  const base = mkdtempSync(join(PARENT, 'nautilus-bench-wal-'));
  let raw: RawResult;
  const appends: AppendResult[] = [];
  let replay: ReplayResult;
  try {
    log('1/3 raw append + fdatasync');
    raw = rawFsync(base);
    log('2/3 writer appends');
    for (const c of CONCURRENCIES) appends.push(await appendRun(base, 'sync', c));
    for (const c of [1, 32]) appends.push(await appendRun(base, 'pool', c));
    log(`3/3 recovery of ${REPLAY_RECORDS} records`);
    replay = await replayRun(base);
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
      recordBytes: Buffer.byteLength(JSON.stringify(record(12345))),
      totalSeconds: round((performance.now() - started) / 1000, 1),
    },
    rawFdatasync: raw,
    appends,
    replay,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (JSON_ONLY) return;
  const lines = [
    table(
      `floor: append ${raw.bytesPerWrite} B + fdatasync, ${raw.samples} samples (ms)`,
      ['', 'p50', 'p99', 'p99.9', 'max', 'mean'],
      [
        [
          'raw',
          fmt(raw.latencyMs.p50),
          fmt(raw.latencyMs.p99),
          fmt(raw.latencyMs.p999),
          fmt(raw.latencyMs.max),
          fmt(raw.latencyMs.mean),
        ],
      ],
    ),
    '',
    table(
      'WalWriter.append until durable (ms), group commit',
      ['scenario', 'appends', 'p50', 'p99', 'p99.9', 'max', 'appends/s', 'recs/batch', 'sync ms'],
      appends.map((a) => [
        a.name,
        String(a.appends),
        fmt(a.latencyMs.p50),
        fmt(a.latencyMs.p99),
        fmt(a.latencyMs.p999),
        fmt(a.latencyMs.max),
        String(a.throughputPerSecond),
        fmt(a.recordsPerBatch, 1),
        fmt(a.fdatasyncMeanMs),
      ]),
    ),
    '',
    table(
      `recovery of ${replay.records} records (${fmt(replay.walBytes / 2 ** 20, 1)} MiB, ${replay.segments} segment(s)), seconds`,
      ['', 'scan (validate)', 'read all records', 'WalWriter.open', 'records/s (scan+read)'],
      [
        [
          'recovery',
          fmt(replay.scanSeconds),
          fmt(replay.readSeconds),
          fmt(replay.openSeconds),
          String(replay.recordsPerSecond),
        ],
      ],
    ),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

main().catch((x: unknown) => {
  process.stderr.write(
    `bench failed: ${x instanceof Error ? (x.stack ?? x.message) : String(x)}\n`,
  );
  process.exitCode = 1;
});
