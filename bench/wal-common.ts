// Shared by the bench:wal parts: options, statistics, tables, and which filesystem a folder is on.
import { readFileSync, realpathSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';

const argv = process.argv.slice(2);
const flags = new Set(argv);

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be an integer >= 1`);
  return n;
}

function envList<T extends string>(name: string, allowed: readonly T[], fallback: readonly T[]) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const items = raw.split(',').map((s) => s.trim());
  for (const s of items)
    if (!allowed.includes(s as T)) throw new Error(`${name}: ${s} is not one of ${allowed}`);
  return items as T[];
}

export const PARTS = ['library', 'broker', 'replay'] as const;
export type Part = (typeof PARTS)[number];
export const MODES = ['synchronous', 'async'] as const;
export type Mode = (typeof MODES)[number];

const QUICK = flags.has('--quick');

/** Everything a run can be told (flags for the common cases, env vars for longer runs). */
export const opts = {
  quick: QUICK,
  jsonOnly: flags.has('--json-only'),
  /** Parent folder of every file the bench writes: the WAL, the stores, the raw fdatasync file. */
  parent: flags.has('--dir')
    ? (argv[argv.indexOf('--dir') + 1] ?? tmpdir())
    : (process.env.BENCH_WAL_DIR ?? tmpdir()),
  parts: envList('BENCH_WAL_PARTS', PARTS, PARTS),
  modes: envList('BENCH_WAL_MODES', MODES, MODES),
  concurrencies: [1, 8, 32] as const,
  /** Broker: the WAL-on broker's I/O (`pool`: the libuv threadpool variant, BrokerOptions.walFs). */
  walIo: envList('BENCH_WAL_IO', ['sync', 'pool'] as const, ['sync'] as const)[0] ?? 'sync',
  /** Library: raw fdatasync samples, appends per writer scenario. */
  rawSamples: envInt('BENCH_WAL_RAW_SAMPLES', QUICK ? 500 : 5000),
  appends: envInt('BENCH_WAL_APPENDS', QUICK ? 1000 : 10_000),
  /** Broker: alternating off/on rounds per concurrency, requests per side per round. */
  rounds: envInt('BENCH_WAL_ROUNDS', QUICK ? 6 : 20),
  roundRequests: envInt('BENCH_WAL_ROUND_REQUESTS', QUICK ? 60 : 150),
  sessions: envInt('BENCH_WAL_SESSIONS', 256),
  /** Replay: WAL records and the sessions they are spread over. */
  replayRecords: envInt('BENCH_WAL_REPLAY_RECORDS', QUICK ? 20_000 : 100_000),
  replaySessions: envInt('BENCH_WAL_REPLAY_SESSIONS', 1000),
};

export function log(text: string): void {
  if (!opts.jsonOnly) process.stderr.write(`${text}\n`);
}

// ---- statistics ----------------------------------------------------------------------------

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export interface Latency {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function latency(samples: readonly number[]): Latency {
  const s = samples.slice().sort((a, b) => a - b);
  return {
    n: s.length,
    p50: round(percentile(s, 50)),
    p99: round(percentile(s, 99)),
    p999: round(percentile(s, 99.9)),
    max: round(s.at(-1) ?? Number.NaN),
    mean: round(s.reduce((x, y) => x + y, 0) / Math.max(1, s.length)),
  };
}

/** Median and range of a list (the spread of per-round values). */
export function spread(xs: readonly number[]): { median: number; min: number; max: number } {
  const s = xs.slice().sort((a, b) => a - b);
  return {
    median: round(percentile(s, 50)),
    min: round(s[0] ?? Number.NaN),
    max: round(s.at(-1) ?? Number.NaN),
  };
}

// ---- formatting ------------------------------------------------------------------------------

export { table } from './table.ts';

export const fmt = (x: number | null, digits = 3): string =>
  x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(digits);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- the disk under a folder -------------------------------------------------------------------

export interface FsInfo {
  readonly path: string;
  readonly mountPoint: string;
  readonly device: string;
  readonly type: string;
  readonly options: string;
}

/** The mount a folder is on (Linux: /proc/self/mounts, longest matching mount point). */
export function fsInfo(dir: string): FsInfo {
  const path = realpathSync(dir);
  let best: FsInfo | null = null;
  try {
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const [device, mountPoint, type, options] = line.split(' ');
      if (device === undefined || mountPoint === undefined) continue;
      const mp = mountPoint.replace(/\\040/g, ' ');
      const inside = mp === '/' || path === mp || path.startsWith(`${mp}/`);
      if (inside && (best === null || mp.length >= best.mountPoint.length))
        best = { path, mountPoint: mp, device, type: type ?? '?', options: options ?? '' };
    }
  } catch {
    // Not Linux: fall back to the statfs magic number.
  }
  return (
    best ?? {
      path,
      mountPoint: '?',
      device: '?',
      type: `statfs type 0x${statfsSync(path).type.toString(16)}`,
      options: '',
    }
  );
}
