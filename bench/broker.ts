// Broker benchmark: `npm run bench:broker [-- --quick] [-- --json-only] [-- --dir <parent>]`.
//
// Library-level request latency and throughput of `Broker.request` on a copy of the quickstart
// (three SQLite sources, built-in rules, attestation on), at concurrency 1 and 16, with the audit
// log fsynced (the default, and the real cost) and, for comparison, without fsync.
//
// Workload: the quickstart walkthrough (examples/quickstart/requests.yaml) plus a few variants,
// round-robin: allowed, partly denied, fully denied and refused (unknown agent) requests.
//
// How each part of a request's time is measured:
//   wall     performance.now() around `await broker.request(...)` in the bench; at concurrency 16
//            it includes waiting for the event loop, a source's worker and the audit group commit.
//   analysis, engine, fetch, attest
//            the broker's own timers, read back from each request's audit line (`durations_ms`),
//            matched by the request_id the bench passes in the context.
//   audit    wall - durations_ms.total: the audit append (write + fsync, shared by the requests of
//            one group commit) plus returning to the caller. A line cannot time its own write.
//   other    durations_ms.total - (analysis + engine + fetch + attest): agent resolution, scope
//            planning, building the audit entry.
// Refused requests (thrown errors) have only wall, audit and other (their line has no stages).
//
// Only measures: nothing is asserted about time. The audit chain is verified after each run.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { verifyAuditFile } from '../src/audit/index.ts';
import { Broker } from '../src/broker/index.ts';
import { NautilusError } from '../src/errors.ts';
import { table } from './table.ts';

const argv = process.argv.slice(2);
const args = new Set(argv);
const QUICK = args.has('--quick');
const JSON_ONLY = args.has('--json-only');
/** Parent folder for the temporary copy (fsync cost depends on the disk under it). */
const PARENT = args.has('--dir') ? (argv[argv.indexOf('--dir') + 1] ?? tmpdir()) : tmpdir();
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const QUICKSTART = join(ROOT, 'examples/quickstart');

const REQUESTS = QUICK ? 300 : 3000;
const WARMUP = QUICK ? 60 : 300;
const CONCURRENCIES = [1, 16] as const;
const STAGES = ['analysis', 'engine', 'fetch', 'attest', 'audit', 'other'] as const;
type Stage = (typeof STAGES)[number];

function log(text: string): void {
  if (!JSON_ONLY) process.stderr.write(`${text}\n`);
}

// ---- workload ------------------------------------------------------------------------------

interface Step {
  readonly agent: string;
  readonly intent: string;
  readonly context?: Record<string, unknown>;
}

/** The quickstart walkthrough plus variants, so the mix has several shapes of each outcome. */
function workload(dir: string): Step[] {
  const script = parseYaml(readFileSync(join(dir, 'requests.yaml'), 'utf8')) as Step[];
  return [
    ...script.map((s) => ({
      agent: s.agent,
      intent: s.intent,
      ...(s.context === undefined ? {} : { context: s.context }),
    })),
    { agent: 'soc-analyst', intent: 'high severity CVEs on 10.0.0.7 since 2026-11-01' },
    { agent: 'auditor', intent: 'list employees and hosts for the compliance audit' },
    { agent: 'auditor', intent: 'list employees', context: { purpose: 'marketing' } },
    { agent: 'hr-assistant', intent: 'which servers are vulnerable to CVE-2024-3094?' },
  ];
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

// ---- one scenario --------------------------------------------------------------------------

interface Sample {
  readonly requestId: string;
  readonly wallMs: number;
  /** The NAU_* code a refused request threw, with its message. */
  readonly refused: string | null;
  readonly message: string | null;
}

interface AuditLine {
  readonly request_id: string;
  readonly outcome: string;
  readonly durations_ms: Record<'analysis' | 'engine' | 'fetch' | 'attest' | 'total', number>;
}

interface ScenarioResult {
  readonly name: string;
  readonly fsync: boolean;
  readonly concurrency: number;
  readonly requests: number;
  readonly warmup: number;
  readonly startupMs: number;
  readonly wallSeconds: number;
  readonly throughputPerSecond: number;
  readonly latencyMs: Latency;
  /** Per-stage latency over the requests that have the stage (see the header comment). */
  readonly stagesMs: Record<Stage, Latency>;
  /** Mean share of the wall time per stage, in percent. */
  readonly stageShare: Record<Stage, number>;
  readonly outcomes: Record<string, number>;
  readonly auditLines: number;
  readonly auditChainOk: boolean;
}

async function runScenario(base: string, fsync: boolean, concurrency: number) {
  const name = `c${concurrency} fsync ${fsync ? 'on' : 'off'}`;
  const tag = `c${concurrency}-${fsync ? 'fsync' : 'nofsync'}`;
  const dataDir = join(base, `.state-${tag}`);
  log(`  ${name}: ${WARMUP} warm-up + ${REQUESTS} requests`);
  const steps = workload(base);
  let t0 = performance.now();
  const broker = await Broker.fromConfig(join(base, 'nautilus.yaml'), {
    auditFsync: fsync,
    overrides: { dataDir },
    warn: () => {},
  });
  const startupMs = performance.now() - t0;

  const samples: Sample[] = [];
  const one = async (i: number, record: boolean) => {
    const step = steps[i % steps.length] as Step;
    const requestId = `bench-${tag}-${record ? 'r' : 'w'}${i}`;
    const started = performance.now();
    let refused: string | null = null;
    let message: string | null = null;
    try {
      await broker.request(step.agent, step.intent, {
        ...(step.context ?? {}),
        request_id: requestId,
      });
    } catch (x) {
      refused = x instanceof NautilusError ? x.code : 'NAU_INTERNAL';
      message = x instanceof Error ? x.message : String(x);
    }
    if (record) samples.push({ requestId, wallMs: performance.now() - started, refused, message });
  };
  const drive = async (n: number, record: boolean) => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < n; i = next++) await one(i, record);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };

  try {
    await drive(WARMUP, false);
    t0 = performance.now();
    await drive(REQUESTS, true);
  } finally {
    await broker.close();
  }
  const wallSeconds = (performance.now() - t0) / 1000;

  const auditPath = join(dataDir, 'audit.jsonl');
  const lines = new Map<string, AuditLine>();
  for (const text of readFileSync(auditPath, 'utf8').split('\n')) {
    if (text === '') continue;
    const line = JSON.parse(text) as AuditLine;
    lines.set(line.request_id, line);
  }
  const verified = await verifyAuditFile(auditPath);

  const per: Record<Stage, number[]> = {
    analysis: [],
    engine: [],
    fetch: [],
    attest: [],
    audit: [],
    other: [],
  };
  const sums: Record<Stage, number> = {
    analysis: 0,
    engine: 0,
    fetch: 0,
    attest: 0,
    audit: 0,
    other: 0,
  };
  let wallSum = 0;
  const outcomes: Record<string, number> = {};
  for (const s of samples) {
    const line = lines.get(s.requestId);
    // Every request, refused ones included, must leave an audit line: a missing one is a bug.
    if (line === undefined)
      throw new Error(
        `no audit line for ${s.requestId}${s.refused === null ? '' : ` (refused ${s.refused}: ${s.message})`}`,
      );
    const key = s.refused === null ? line.outcome : `refused ${s.refused}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    const d = line.durations_ms;
    const stages: Partial<Record<Stage, number>> = {
      audit: Math.max(0, s.wallMs - d.total),
      other: Math.max(0, d.total - d.analysis - d.engine - d.fetch - d.attest),
    };
    if (s.refused === null) {
      stages.analysis = d.analysis;
      stages.engine = d.engine;
      stages.fetch = d.fetch;
      stages.attest = d.attest;
    }
    for (const stage of STAGES) {
      const v = stages[stage];
      if (v === undefined) continue;
      per[stage].push(v);
      sums[stage] += v;
    }
    wallSum += s.wallMs;
  }
  const stagesMs = Object.fromEntries(STAGES.map((st) => [st, latency(per[st])])) as Record<
    Stage,
    Latency
  >;
  const stageShare = Object.fromEntries(
    STAGES.map((st) => [st, round((100 * sums[st]) / Math.max(wallSum, 1e-9), 1)]),
  ) as Record<Stage, number>;
  const result: ScenarioResult = {
    name,
    fsync,
    concurrency,
    requests: samples.length,
    warmup: WARMUP,
    startupMs: round(startupMs, 1),
    wallSeconds: round(wallSeconds, 3),
    throughputPerSecond: round(samples.length / wallSeconds, 1),
    latencyMs: latency(samples.map((s) => s.wallMs)),
    stagesMs,
    stageShare,
    outcomes,
    auditLines: lines.size,
    auditChainOk: verified.ok,
  };
  return result;
}

// ---- main ----------------------------------------------------------------------------------

function tables(results: readonly ScenarioResult[]): string[] {
  const lines: string[] = [];
  lines.push(
    table(
      'Broker.request on the quickstart: wall latency (ms) and throughput',
      ['scenario', 'requests', 'p50', 'p90', 'p99', 'max', 'mean', 'req/s', 'startup ms', 'chain'],
      results.map((r) => [
        r.name,
        String(r.requests),
        fmt(r.latencyMs.p50),
        fmt(r.latencyMs.p90),
        fmt(r.latencyMs.p99),
        fmt(r.latencyMs.max),
        fmt(r.latencyMs.mean),
        fmt(r.throughputPerSecond, 0),
        fmt(r.startupMs, 0),
        r.auditChainOk ? 'ok' : 'BROKEN',
      ]),
    ),
  );
  lines.push('');
  lines.push(
    table(
      'time per stage, ms: p50 / p99 (share of mean wall time)',
      ['scenario', ...STAGES],
      results.map((r) => [
        r.name,
        ...STAGES.map(
          (st) =>
            `${fmt(r.stagesMs[st].p50, 3)} / ${fmt(r.stagesMs[st].p99, 3)} (${fmt(r.stageShare[st], 0)}%)`,
        ),
      ]),
    ),
  );
  lines.push('');
  const first = results[0];
  if (first !== undefined)
    lines.push(
      `outcomes per run: ${Object.entries(first.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      'audit = wall - durations_ms.total (append + fsync + return); other = total - stages',
    );
  return lines;
}

async function main(): Promise<void> {
  const started = performance.now();
  log(`nautilus broker bench${QUICK ? ' (--quick)' : ''}`);
  const base = mkdtempSync(join(PARENT, 'nautilus-bench-broker-'));
  const results: ScenarioResult[] = [];
  try {
    cpSync(QUICKSTART, base, { recursive: true, filter: (p) => !p.includes('.nautilus') });
    for (const fsync of [true, false])
      for (const c of CONCURRENCIES) results.push(await runScenario(base, fsync, c));
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
      workload: `${workload(QUICKSTART).length} requests (examples/quickstart/requests.yaml + variants), round-robin`,
      totalSeconds: round((performance.now() - started) / 1000),
    },
    scenarios: results,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (JSON_ONLY) return;
  process.stdout.write(`\n${tables(results).join('\n')}\n`);
}

main().catch((x: unknown) => {
  process.stderr.write(
    `bench failed: ${x instanceof Error ? (x.stack ?? x.message) : String(x)}\n`,
  );
  process.exitCode = 1;
});
