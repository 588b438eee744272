// Engine benchmarks: `npm run bench:engine [-- --quick] [-- --json-only]`.
//
// (a) A routing-shaped workload: ~200 policy-broker rules, resident `source` and
//     `session_exposure` facts (10k and 100k), and per-request transient facts asserted, run,
//     read and retracted again. Reports latency percentiles and how p50 scales with the number
//     of resident facts. Every request's decisions are checked against a JS model of the rules.
// (b) Compute-heavy CLIPS programs from bench/programs, run through the real CLIPS binary and
//     through `nautilus clips -f`; outputs must be identical.
//
// Only measures: targets are printed beside the numbers, never asserted.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runClipsBatch } from '../src/cli/clips-batch.ts';
import { Rng } from './rng.ts';
import {
  buildRoutingEngine,
  bySessionOf,
  CONTEXT_FACTS,
  checkOutcome,
  loadResident,
  makeExposures,
  makeRequests,
  makeSources,
  N_SOURCES,
  type RequestOutcome,
  type RequestSpec,
  routeRequest,
} from './routing-workload.ts';
import { table } from './table.ts';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const JSON_ONLY = args.has('--json-only');
/** `--only routing` or `--only programs` runs one part (for profiling). */
const ONLY = process.argv[process.argv.indexOf('--only') + 1];
const RUN_ROUTING = !args.has('--only') || ONLY === 'routing';
const RUN_PROGRAMS = !args.has('--only') || ONLY === 'programs';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLIPS_BIN = '/usr/bin/clips';

const TARGETS = { p50Us: 100, p99Us: 1000, scaleRatio: 1.5, programRatio: 1.5 } as const;

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
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

function latency(samplesUs: readonly number[]): Latency {
  const s = samplesUs.slice().sort((a, b) => a - b);
  const mean = s.reduce((x, y) => x + y, 0) / Math.max(1, s.length);
  return {
    p50: round(percentile(s, 50)),
    p90: round(percentile(s, 90)),
    p99: round(percentile(s, 99)),
    max: round(s.at(-1) ?? Number.NaN),
    mean: round(mean),
  };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function ms(from: bigint, to: bigint): number {
  return Number(to - from) / 1e6;
}

const fmt = (x: number | null, digits = 1): string =>
  x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(digits);
const meets = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'yes' : 'NO');

interface ScenarioResult {
  readonly name: string;
  readonly residentFacts: number;
  readonly sessionExposures: number;
  readonly sessions: number;
  readonly rules: number;
  readonly setupMs: {
    readonly build: number;
    readonly loadResident: number;
    readonly perFactUs: number;
  };
  readonly heapMbAfterLoad: number;
  readonly warmupRequests: number;
  readonly timedRequests: number;
  readonly transientFactsPerRequest: number;
  readonly latencyUs: Latency;
  readonly firedPerRequest: { readonly mean: number; readonly min: number; readonly max: number };
  readonly decisionsPerRequest: {
    readonly mean: number;
    readonly min: number;
    readonly max: number;
  };
  readonly flagsPerRequest: number;
  readonly checkedRequests: number;
  readonly mismatches: number;
  readonly factsApiVariant: { readonly requests: number; readonly latencyUs: Latency };
  readonly residentFactsAfter: number;
}

function runScenario(name: string, exposuresCount: number, sessions: number): ScenarioResult {
  const rng = new Rng(0x5eed + exposuresCount);
  const sources = makeSources(new Rng(42));
  const exposures = makeExposures(rng, sources, exposuresCount, sessions);
  const bySession = bySessionOf(exposures);
  const warmup = QUICK ? 100 : 500;
  const timed = QUICK ? 300 : 2000;
  const variant = QUICK ? 50 : 200;
  const warm = makeRequests(rng, warmup, 'warm', sessions, sources, bySession);
  const reqs = makeRequests(rng, timed, 'req', sessions, sources, bySession);
  const viaApi = makeRequests(rng, variant, 'api', sessions, sources, bySession);

  const t0 = process.hrtime.bigint();
  const engine = buildRoutingEngine();
  const t1 = process.hrtime.bigint();
  try {
    loadResident(engine, sources, exposures);
  } catch (x) {
    throw new Error(`${name}: ${x instanceof Error ? x.message : String(x)}`);
  }
  const t2 = process.hrtime.bigint();
  const resident = engine.facts().length;
  const heapMbAfterLoad = round(process.memoryUsage().heapUsed / 2 ** 20);
  log(`  ${name}: ${resident} resident facts loaded in ${fmt(ms(t1, t2), 0)} ms`);

  let mismatches = 0;
  const failures: string[] = [];
  const verify = (spec: RequestSpec, out: RequestOutcome) => {
    const why = checkOutcome(spec, out);
    if (why !== null) {
      mismatches++;
      if (failures.length < 5) failures.push(why);
    }
  };

  let n = 0;
  for (const spec of warm) verify(spec, routeRequest(engine, spec, n++, 'scan'));
  const samples: number[] = [];
  const fired: number[] = [];
  const decisions: number[] = [];
  let flagCount = 0;
  for (const spec of reqs) {
    const a = process.hrtime.bigint();
    const out = routeRequest(engine, spec, n++, 'scan');
    const b = process.hrtime.bigint();
    samples.push(Number(b - a) / 1e3);
    fired.push(out.fired);
    decisions.push(out.decisions.length);
    flagCount += out.flags.length;
    verify(spec, out);
  }
  const apiSamples: number[] = [];
  for (const spec of viaApi) {
    const a = process.hrtime.bigint();
    const out = routeRequest(engine, spec, n++, 'facts-api');
    const b = process.hrtime.bigint();
    apiSamples.push(Number(b - a) / 1e3);
    verify(spec, out);
  }
  const residentAfter = engine.facts().length;
  if (residentAfter !== resident) {
    failures.push(
      `working memory leaked: ${resident} facts before the requests, ${residentAfter} after`,
    );
    mismatches++;
  }
  if (mismatches > 0) {
    throw new Error(
      `${name}: ${mismatches} requests produced wrong results, e.g.\n  ${failures.join('\n  ')}`,
    );
  }
  const stats = (xs: readonly number[]) => ({
    mean: round(xs.reduce((x, y) => x + y, 0) / xs.length, 2),
    min: Math.min(...xs),
    max: Math.max(...xs),
  });
  return {
    name,
    residentFacts: resident,
    sessionExposures: exposuresCount,
    sessions,
    rules: engine.rules.size,
    setupMs: {
      build: round(ms(t0, t1)),
      loadResident: round(ms(t1, t2)),
      perFactUs: round((ms(t1, t2) * 1000) / resident, 2),
    },
    heapMbAfterLoad,
    warmupRequests: warmup,
    timedRequests: timed,
    transientFactsPerRequest: 3 + (reqs[0]?.filters.length ?? 0) + CONTEXT_FACTS,
    latencyUs: latency(samples),
    firedPerRequest: stats(fired),
    decisionsPerRequest: stats(decisions),
    flagsPerRequest: round(flagCount / reqs.length, 2),
    checkedRequests: warm.length + reqs.length + viaApi.length,
    mismatches,
    factsApiVariant: { requests: viaApi.length, latencyUs: latency(apiSamples) },
    residentFactsAfter: residentAfter,
  };
}

// ---- (b) CLIPS programs --------------------------------------------------------------------

interface ProgramDef {
  readonly name: string;
  readonly file: string;
  /** Textual substitutions that shrink the program for `--quick`. */
  readonly quick: ReadonlyArray<readonly [string, string]>;
}

const PROGRAMS: readonly ProgramDef[] = [
  {
    name: 'manners',
    file: 'bench/programs/manners.clp',
    quick: [['?*guests* = 128', '?*guests* = 24']],
  },
  {
    name: 'closure',
    file: 'bench/programs/closure.clp',
    quick: [['?*nodes* = 400', '?*nodes* = 60']],
  },
  { name: 'queens', file: 'bench/programs/queens.clp', quick: [['?*n* = 10 ', '?*n* = 7 ']] },
];

interface Timed {
  readonly ms: number;
  readonly stdout: string;
}

function timeProcess(cmd: string, argv: readonly string[]): Timed {
  const a = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 28,
  });
  const b = process.hrtime.bigint();
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${argv.join(' ')} exited with ${String(r.status)}: ${r.stderr.slice(0, 2000)}`,
    );
  }
  return { ms: ms(a, b), stdout: r.stdout };
}

function bestOf(runs: number, f: () => Timed): Timed {
  let best: Timed | null = null;
  for (let i = 0; i < runs; i++) {
    const t = f();
    if (best !== null && t.stdout !== best.stdout)
      throw new Error('output differs between repeated runs');
    if (best === null || t.ms < best.ms) best = t;
  }
  return best as Timed;
}

function nautilusCli(file: string): Timed {
  return timeProcess(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'clips', '-f', file]);
}

function inProcess(text: string, source: string): Timed {
  let out = '';
  const a = process.hrtime.bigint();
  const r = runClipsBatch(text, { source, write: (t) => (out += t), clock: () => 0 });
  const b = process.hrtime.bigint();
  if (r.errors > 0)
    throw new Error(`${source}: ${r.errors} errors in-process:\n${out.slice(0, 2000)}`);
  return { ms: ms(a, b), stdout: out };
}

interface ProgramResult {
  readonly name: string;
  readonly file: string;
  readonly output: string;
  readonly outputIdentical: boolean | null;
  readonly clipsMs: number | null;
  readonly nautilusCliMs: number;
  readonly nautilusNetMs: number;
  readonly nautilusInProcessMs: number;
  readonly ratioCli: number | null;
  readonly ratioNet: number | null;
  readonly ratioInProcess: number | null;
  readonly note?: string;
}

function runPrograms(tmp: string): { startupMs: number; programs: ProgramResult[] } {
  const runs = 3;
  const haveClips = existsSync(CLIPS_BIN);
  const trivial = join(tmp, 'trivial.clp');
  writeFileSync(trivial, '(exit)\n');
  const startup = bestOf(runs, () => nautilusCli(relative(ROOT, trivial)));
  log(`  nautilus startup (node + tsx + CLI, trivial program): ${fmt(startup.ms, 0)} ms`);
  const results: ProgramResult[] = [];
  for (const p of PROGRAMS) {
    let text = readFileSync(join(ROOT, p.file), 'utf8');
    let file = p.file;
    if (QUICK) {
      for (const [from, to] of p.quick) text = text.replace(from, to);
      file = relative(ROOT, join(tmp, `${p.name}.clp`));
      writeFileSync(join(ROOT, file), text);
    }
    const clips = haveClips ? bestOf(runs, () => timeProcess(CLIPS_BIN, ['-f2', file])) : null;
    const cli = bestOf(runs, () => nautilusCli(file));
    if (clips !== null && clips.stdout !== cli.stdout) {
      throw new Error(
        `${p.name}: nautilus output differs from CLIPS\n--- clips\n${clips.stdout.slice(0, 2000)}\n--- nautilus\n${cli.stdout.slice(0, 2000)}`,
      );
    }
    const inproc = bestOf(runs, () => inProcess(text, file));
    if (inproc.stdout !== cli.stdout)
      throw new Error(`${p.name}: in-process output differs from the CLI output`);
    const net = Math.max(0, cli.ms - startup.ms);
    const ratio = (x: number) => (clips === null ? null : round(x / clips.ms, 2));
    const lastLine = cli.stdout.trimEnd().split('\n').at(-1) ?? '';
    log(
      `  ${p.name}: clips ${fmt(clips?.ms ?? null, 0)} ms, nautilus ${fmt(cli.ms, 0)} ms (${lastLine})`,
    );
    results.push({
      name: p.name,
      file: p.file,
      output: lastLine,
      outputIdentical: clips === null ? null : true,
      clipsMs: clips === null ? null : round(clips.ms),
      nautilusCliMs: round(cli.ms),
      nautilusNetMs: round(net),
      nautilusInProcessMs: round(inproc.ms),
      ratioCli: ratio(cli.ms),
      ratioNet: ratio(net),
      ratioInProcess: ratio(inproc.ms),
      ...(clips === null
        ? { note: `${CLIPS_BIN} not found: no reference timing or output check` }
        : {}),
    });
  }
  return { startupMs: round(startup.ms), programs: results };
}

// ---- main ----------------------------------------------------------------------------------

interface RoutingResult {
  readonly scenarios: readonly [ScenarioResult, ScenarioResult];
  readonly p50Ratio: number;
  readonly factsApiP50Ratio: number;
  readonly meetsTargets: { readonly p50: boolean; readonly p99: boolean; readonly ratio: boolean };
}

function runRouting(): RoutingResult {
  log('(a) routing workload');
  const small = QUICK ? { facts: 2_000, sessions: 200 } : { facts: 10_000, sessions: 1_000 };
  const large = QUICK ? { facts: 20_000, sessions: 2_000 } : { facts: 100_000, sessions: 10_000 };
  const s1 = runScenario(`${small.facts / 1000}k`, small.facts, small.sessions);
  const s2 = runScenario(`${large.facts / 1000}k`, large.facts, large.sessions);
  const ratio = round(s2.latencyUs.p50 / s1.latencyUs.p50, 2);
  return {
    scenarios: [s1, s2],
    p50Ratio: ratio,
    factsApiP50Ratio: round(s2.factsApiVariant.latencyUs.p50 / s1.factsApiVariant.latencyUs.p50, 2),
    meetsTargets: {
      p50: s1.latencyUs.p50 <= TARGETS.p50Us && s2.latencyUs.p50 <= TARGETS.p50Us,
      p99: s1.latencyUs.p99 <= TARGETS.p99Us && s2.latencyUs.p99 <= TARGETS.p99Us,
      ratio: ratio <= TARGETS.scaleRatio,
    },
  };
}

function routingTables(r: RoutingResult): string[] {
  const [s1, s2] = r.scenarios;
  const lines: string[] = [];
  lines.push(
    table(
      `(a) routing workload: ${s1.rules} rules, ${N_SOURCES} sources, ${s1.transientFactsPerRequest} transient facts/request`,
      ['scenario', 'resident', 'sessions', 'build ms', 'load ms', 'µs/fact', 'heap MB', 'requests'],
      r.scenarios.map((s) => [
        s.name,
        String(s.residentFacts),
        String(s.sessions),
        fmt(s.setupMs.build),
        fmt(s.setupMs.loadResident),
        fmt(s.setupMs.perFactUs, 2),
        fmt(s.heapMbAfterLoad),
        `${s.timedRequests}+${s.warmupRequests}w`,
      ]),
    ),
  );
  lines.push('');
  lines.push(
    table(
      'per-request latency (assert ~20 facts, run, read decisions, retract), µs',
      [
        'scenario',
        'p50',
        'p90',
        'p99',
        'max',
        'mean',
        'fired/req',
        'decisions/req',
        'flags/req',
        'checked',
      ],
      r.scenarios.map((s) => [
        s.name,
        fmt(s.latencyUs.p50),
        fmt(s.latencyUs.p90),
        fmt(s.latencyUs.p99),
        fmt(s.latencyUs.max),
        fmt(s.latencyUs.mean),
        `${fmt(s.firedPerRequest.mean, 2)} (${s.firedPerRequest.min}-${s.firedPerRequest.max})`,
        `${fmt(s.decisionsPerRequest.mean, 2)} (${s.decisionsPerRequest.min}-${s.decisionsPerRequest.max})`,
        fmt(s.flagsPerRequest, 2),
        `${s.checkedRequests} ok`,
      ]),
    ),
  );
  lines.push('');
  const row = (metric: string, value: number, unit: string, target: number): string[] => [
    metric,
    `${fmt(value, unit === '' ? 2 : 1)}${unit}`,
    `≤ ${target}${unit}`,
    meets(value <= target),
  ];
  lines.push(
    table(
      'targets',
      ['metric', 'value', 'target', 'meets'],
      [
        row(`p50 ${s1.name}`, s1.latencyUs.p50, ' µs', TARGETS.p50Us),
        row(`p50 ${s2.name}`, s2.latencyUs.p50, ' µs', TARGETS.p50Us),
        row(`p99 ${s1.name}`, s1.latencyUs.p99, ' µs', TARGETS.p99Us),
        row(`p99 ${s2.name}`, s2.latencyUs.p99, ' µs', TARGETS.p99Us),
        row(`p50 ratio ${s2.name}/${s1.name}`, r.p50Ratio, '', TARGETS.scaleRatio),
        [
          `facts() API variant p50 ${s1.name} / ${s2.name}`,
          `${fmt(s1.factsApiVariant.latencyUs.p50)} / ${fmt(s2.factsApiVariant.latencyUs.p50)} µs`,
          'info',
          `ratio ${fmt(r.factsApiP50Ratio, 2)}`,
        ],
      ],
    ),
  );
  return lines;
}

function programTables(programs: ReturnType<typeof runPrograms>): string[] {
  return [
    table(
      `(b) CLIPS programs, best of 3 wall-clock ms; nautilus startup (node+tsx+CLI, trivial program) = ${fmt(programs.startupMs, 0)} ms`,
      [
        'program',
        'output (last line)',
        'clips',
        'nautilus CLI',
        'CLI - startup',
        'in-process',
        'ratio CLI',
        'ratio net',
        'ratio in-proc',
        `in-proc ≤ ${TARGETS.programRatio}`,
      ],
      programs.programs.map((p) => [
        p.name,
        p.output,
        fmt(p.clipsMs),
        fmt(p.nautilusCliMs),
        fmt(p.nautilusNetMs),
        fmt(p.nautilusInProcessMs),
        fmt(p.ratioCli, 2),
        fmt(p.ratioNet, 2),
        fmt(p.ratioInProcess, 2),
        meets(p.ratioInProcess === null ? null : p.ratioInProcess <= TARGETS.programRatio),
      ]),
    ),
    `outputs identical to ${CLIPS_BIN}: ${programs.programs.map((p) => `${p.name}=${String(p.outputIdentical)}`).join(' ')}`,
    ...programs.programs.flatMap((p) => (p.note === undefined ? [] : [`${p.name}: ${p.note}`])),
  ];
}

function main(): void {
  const started = process.hrtime.bigint();
  log(`nautilus engine bench${QUICK ? ' (--quick)' : ''}`);
  const routing = RUN_ROUTING ? runRouting() : null;
  let programs: ReturnType<typeof runPrograms> | null = null;
  if (RUN_PROGRAMS) {
    log('(b) CLIPS programs');
    const tmp = mkdtempSync(join(tmpdir(), 'nautilus-bench-'));
    try {
      programs = runPrograms(tmp);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const result = {
    meta: {
      quick: QUICK,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpu: cpus()[0]?.model ?? 'unknown',
      cpus: cpus().length,
      totalSeconds: round(ms(started, process.hrtime.bigint()) / 1000),
    },
    targets: TARGETS,
    routing,
    programs,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (JSON_ONLY) return;
  const lines: string[] = [];
  if (routing !== null) lines.push(...routingTables(routing), '');
  if (programs !== null) lines.push(...programTables(programs));
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

try {
  main();
} catch (x) {
  process.stderr.write(
    `bench failed: ${x instanceof Error ? (x.stack ?? x.message) : String(x)}\n`,
  );
  process.exitCode = 1;
}
