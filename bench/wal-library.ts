// bench:wal, library level: the raw fdatasync floor, WalWriter.append at concurrency 1/8/32 (and
// the threadpool variant), and the recovery scan of 100,000 records (no broker, no engine).
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  createNodeWalFs,
  scanWal,
  type WalAppendInput,
  type WalFs,
  WalWriter,
} from '../src/wal/index.ts';
import { type Latency, latency, opts, round } from './wal-common.ts';

const WARMUP = opts.quick ? 100 : 500;

/** One request's exposure op, the size a session record has in practice (~300 B). */
export function record(n: number): WalAppendInput {
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

export interface RawResult {
  readonly dir: string;
  readonly samples: number;
  readonly bytesPerWrite: number;
  readonly latencyMs: Latency;
}

/** Plain writeSync + fdatasyncSync of a ~300 B line appended to a file in `dir`. */
export function rawFsync(dir: string, samples = opts.rawSamples): RawResult {
  const path = join(dir, 'raw.jsonl');
  const fd = openSync(path, 'a');
  const line = Buffer.from(`00000000 ${JSON.stringify(record(1))}\n`);
  const out: number[] = [];
  try {
    for (let i = 0; i < samples + 50; i++) {
      const t0 = performance.now();
      writeSync(fd, line);
      fdatasyncSync(fd);
      if (i >= 50) out.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
  }
  return { dir, samples: out.length, bytesPerWrite: line.length, latencyMs: latency(out) };
}

// ---- 2. writer append latency ----------------------------------------------------------------

export interface AppendResult {
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

export async function appendRun(
  dir: string,
  io: 'sync' | 'pool',
  concurrency: number,
): Promise<AppendResult> {
  const fs: WalFs = createNodeWalFs({ io });
  const walDir = join(dir, `wal-${io}-${concurrency}`);
  const writer = await WalWriter.open(walDir, { fs, minFreeBytes: 0 });
  const appends = opts.appends;
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
  await run(appends, samples);
  const elapsed = (performance.now() - t0) / 1000;
  const after = writer.stats();
  await writer.close();
  const scan = await scanWal(walDir);
  if (scan.recordCount !== WARMUP + appends || scan.lastLsn !== WARMUP + appends) {
    throw new Error(`${walDir}: expected ${WARMUP + appends} records, found ${scan.recordCount}`);
  }
  const batches = after.batches - before.batches;
  return {
    name: `writer, ${concurrency} concurrent, io=${io}`,
    io,
    concurrency,
    appends,
    latencyMs: latency(samples),
    throughputPerSecond: Math.round(appends / elapsed),
    batches,
    recordsPerBatch: round(appends / batches, 1),
    fdatasyncMeanMs: round(((after.syncSecondsTotal - before.syncSecondsTotal) / batches) * 1000),
  };
}

// ---- 3. recovery scan -------------------------------------------------------------------------

export interface ScanResult {
  readonly records: number;
  readonly walBytes: number;
  readonly segments: number;
  readonly scanSeconds: number;
  readonly readSeconds: number;
  readonly openSeconds: number;
  readonly recordsPerSecond: number;
}

/** Appends `records` records with 256 concurrent clients (group commit), into `walDir`. */
export async function fillWal(
  walDir: string,
  records: number,
  make: (n: number) => WalAppendInput,
): Promise<void> {
  const writer = await WalWriter.open(walDir, { minFreeBytes: 0 });
  let n = 0;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (n < records) await writer.append(make(++n));
    }),
  );
  await writer.close();
}

/** The validating scan, reading every record back, and WalWriter.open (lock + scan). */
export async function scanRun(walDir: string, expected: number): Promise<ScanResult> {
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
  if (count !== scan.recordCount || count < expected) {
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
