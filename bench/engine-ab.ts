// Routing-workload A/B of two engine checkouts:
//   npm run bench:engine-ab -- [--base REF] [--facts N] [--blocks K] [--runs R] [--json-only]
//
// Bundles bench/routing-workload.ts twice, once against this checkout's src/engine and once
// against REF's (default HEAD, checked out in a temporary git worktree that is removed after).
// Each run is a fresh process that loads both bundles and routes requests through them in
// alternating blocks of 150, reporting each side's per-request wall p50. The side loaded second
// gains 2–5 % on this machine whatever the code, so runs alternate the loading order and the
// verdict is the geometric mean of new/base over the runs. Only measures; nothing is asserted.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RoutingSession } from './routing-workload.ts';
import { table } from './table.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : dflt;
};
const BASE = opt('--base', 'HEAD');
const FACTS = Number(opt('--facts', '10000'));
const BLOCKS = Number(opt('--blocks', '40'));
const RUNS = Number(opt('--runs', '4'));
const JSON_ONLY = argv.includes('--json-only');
const PER_BLOCK = 150;
const WARMUP = 1500;

function run(cmd: string, args: readonly string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
}

/** Bundles the workload of `root` (its src/engine) into `out`; returns its module URL. */
function bundle(root: string, out: string): string {
  const esbuild = join(ROOT, 'node_modules', '.bin', 'esbuild');
  const entry = join(root, 'bench', 'routing-workload.ts');
  run(esbuild, [entry, '--bundle', '--platform=node', '--format=esm', `--outfile=${out}`], ROOT);
  return pathToFileURL(out).href;
}

type Load = (facts: number, sessions: number) => RoutingSession;

async function loader(url: string): Promise<Load> {
  const m = (await import(url)) as { routingSession: Load };
  return m.routingSession;
}

/** One run in this process (the child side): `--child BASE_URL NEW_URL new|base`. */
async function child(baseUrl: string, newUrl: string, newFirst: boolean): Promise<void> {
  // Module loading order biases a run as much as session set-up order: both follow `newFirst`.
  let base: Load;
  let next: Load;
  if (newFirst) {
    next = await loader(newUrl);
    base = await loader(baseUrl);
  } else {
    base = await loader(baseUrl);
    next = await loader(newUrl);
  }
  process.stdout.write(`${JSON.stringify(oneRun(base, next, newFirst))}\n`);
}

function p50(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

interface RunResult {
  readonly loadedFirst: 'base' | 'new';
  readonly p50BaseUs: number;
  readonly p50NewUs: number;
  readonly ratio: number;
}

function oneRun(base: Load, next: Load, newFirst: boolean): RunResult {
  // Loading order is what biases a run: the side set up second is the one that gains.
  const sessions = FACTS / 10;
  const first = newFirst ? next(FACTS, sessions) : base(FACTS, sessions);
  const second = newFirst ? base(FACTS, sessions) : next(FACTS, sessions);
  const sNew = newFirst ? first : second;
  const sBase = newFirst ? second : first;
  for (let i = 0; i < WARMUP; i++) {
    sBase.request(i);
    sNew.request(i);
  }
  const tBase: number[] = [];
  const tNew: number[] = [];
  let i = WARMUP;
  for (let k = 0; k < BLOCKS; k++) {
    const order = k % 2 === 0 ? [sBase, sNew] : [sNew, sBase];
    for (const s of order) {
      const out = s === sBase ? tBase : tNew;
      for (let j = 0; j < PER_BLOCK; j++) out.push(s.request(i + j));
    }
    i += PER_BLOCK;
  }
  if (sBase.mismatches() + sNew.mismatches() > 0) {
    throw new Error(
      `wrong routing results: base ${sBase.mismatches()}, new ${sNew.mismatches()} requests`,
    );
  }
  const b = p50(tBase);
  const n = p50(tNew);
  return { loadedFirst: newFirst ? 'new' : 'base', p50BaseUs: b, p50NewUs: n, ratio: n / b };
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'nautilus-engine-ab-'));
  const baseRoot = join(tmp, 'base');
  try {
    run('git', ['worktree', 'add', '--detach', baseRoot, BASE], ROOT);
    // Both sides run this checkout's workload: only the engine differs.
    cpSync(
      join(ROOT, 'bench', 'routing-workload.ts'),
      join(baseRoot, 'bench', 'routing-workload.ts'),
    );
    const baseUrl = bundle(baseRoot, join(tmp, 'base.mjs'));
    const newUrl = bundle(ROOT, join(tmp, 'new.mjs'));
    const runs: RunResult[] = [];
    for (let r = 0; r < RUNS; r++) {
      const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', baseUrl, newUrl];
      args.push(r % 2 === 1 ? 'new' : 'base', '--facts', String(FACTS), '--blocks', String(BLOCKS));
      const c = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
      if (c.status !== 0) throw new Error(`run ${r + 1} failed: ${c.stderr}`);
      runs.push(JSON.parse(c.stdout) as RunResult);
    }
    const geomean = Math.exp(runs.reduce((s, x) => s + Math.log(x.ratio), 0) / runs.length);
    const result = {
      base: BASE,
      facts: FACTS,
      blocks: BLOCKS,
      requestsPerBlock: PER_BLOCK,
      runs,
      newOverBase: Math.round(geomean * 1000) / 1000,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (JSON_ONLY) return;
    const rows = runs.map((x) => [
      x.loadedFirst,
      x.p50BaseUs.toFixed(1),
      x.p50NewUs.toFixed(1),
      x.ratio.toFixed(3),
    ]);
    rows.push(['geometric mean', '', '', geomean.toFixed(3)]);
    process.stdout.write(
      `\n${table(`routing p50, ${FACTS} resident facts: working tree vs ${BASE}`, ['loaded first', 'base µs', 'new µs', 'new/base'], rows)}\n`,
    );
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', baseRoot], { cwd: ROOT });
    rmSync(tmp, { recursive: true, force: true });
  }
}

const childAt = argv.indexOf('--child');
const task =
  childAt >= 0
    ? child(argv[childAt + 1] as string, argv[childAt + 2] as string, argv[childAt + 3] === 'new')
    : main();
task.catch((x: unknown) => {
  process.stderr.write(
    `bench failed: ${x instanceof Error ? (x.stack ?? x.message) : String(x)}\n`,
  );
  process.exitCode = 1;
});
