// bench:session-apply — engine phase 2 alone, as WAL replay runs it: the built-in policy, and
// 100,000 session records (one `session_exposure` each, the first of a session also opens its
// purpose) applied one at a time through PolicySessionEngine.apply, round-robin over 1,000
// sessions. No WAL, no store: what `bench:wal`'s broker replay spends in the engine.
//
//   npm run bench:session-apply [-- --json-only] [-- --records N] [-- --sessions N]
//
// Prints JSON, then a table. Options: --records (default 100000), --sessions (default 1000),
// --rounds (default 3: each round builds a fresh engine; the table shows every round).
import { PolicyEngine } from '../src/broker/policy-engine.ts';
import { BUILTIN_RULES_DIR } from '../src/broker/policy-setup.ts';
import { PolicySessionEngine } from '../src/broker/session-engine.ts';
import { Engine } from '../src/engine/index.ts';
import { checkRuleDirs, installRules } from '../src/rules/index.ts';
import type { SessionOp } from '../src/session/ops.ts';
import { BENCH_SOURCES, exposureOps } from './exposures.ts';
import { table } from './table.ts';

const argv = process.argv.slice(2);
const num = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  const v = i === -1 ? dflt : Number(argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
};
const RECORDS = num('records', 100_000);
const SESSIONS = num('sessions', 1_000);
const ROUNDS = num('rounds', 3);
const JSON_ONLY = argv.includes('--json-only');

function sessionEngine(): PolicySessionEngine {
  const checked = checkRuleDirs([BUILTIN_RULES_DIR]);
  if (checked.compiled === undefined || checked.errors.length > 0)
    throw new Error(`built-in rules: ${checked.errors.map((e) => e.message).join('; ')}`);
  const engine = new Engine({ clock: () => 100 });
  installRules(engine, checked.compiled);
  const sources = BENCH_SOURCES.map((s) => ({
    id: s.id,
    type: 'sqlite',
    classification: s.cls,
    compartments: [],
    dataTypes: [s.types],
    allowedPurposes: [],
  }));
  const policy = new PolicyEngine(
    engine,
    sources,
    { piiSourceLimit: 3, purposeTtlSeconds: 0 },
    { focusOrder: checked.compiled.focusOrder },
  );
  return new PolicySessionEngine(policy);
}

/** The records as replay sees them: parsed from JSON, as the WAL holds them. */
function records(): SessionOp[][] {
  const out: SessionOp[][] = [];
  for (let k = 0; k < RECORDS; k++) {
    const ops = exposureOps({
      sessionId: `s${k % SESSIONS}`,
      requestId: `r${k}`,
      n: k,
      timestamp: k / 1000,
      queryHash: (source) => `${source}-${k % 97}`.padEnd(16, '0'),
      first: k < SESSIONS,
    });
    out.push(JSON.parse(JSON.stringify(ops)) as SessionOp[]);
  }
  return out;
}

interface Round {
  readonly applyMs: number;
  readonly usPerRecord: number;
  /** Process CPU (all threads, GC included) per record. */
  readonly cpuUsPerRecord: number;
  /** Reading every session's facts back as ops afterwards (what a save serializes). */
  readonly factsMs: number;
  readonly facts: number;
}

function round(): Round {
  const se = sessionEngine();
  const all = records();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const ops of all) se.apply(ops);
  const applyMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const t1 = performance.now();
  let facts = 0;
  for (let i = 0; i < SESSIONS; i++) facts += se.facts(`s${i}`).length;
  const factsMs = performance.now() - t1;
  const expected = RECORDS * 1 + SESSIONS * 2; // exposures + a purpose and a summary each
  if (facts !== expected)
    throw new Error(`${facts} session facts after the run, ${expected} expected`);
  return {
    applyMs: Math.round(applyMs),
    usPerRecord: +((applyMs * 1000) / RECORDS).toFixed(2),
    cpuUsPerRecord: +((cpu.user + cpu.system) / RECORDS).toFixed(2),
    factsMs: Math.round(factsMs),
    facts,
  };
}

const rounds: Round[] = [];
for (let i = 0; i < ROUNDS; i++) rounds.push(round());
const sorted = rounds.map((r) => r.usPerRecord).sort((a, b) => a - b);
const result = {
  records: RECORDS,
  sessions: SESSIONS,
  rounds,
  medianUsPerRecord: sorted[Math.floor(sorted.length / 2)],
};
console.log(JSON.stringify(result, null, 2));
if (!JSON_ONLY) {
  console.log(
    `\n${table(
      `engine phase 2: ${RECORDS} session records over ${SESSIONS} sessions, applied one at a time`,
      ['round', 'apply ms', 'µs/record', 'CPU µs/record', 'facts read back ms', 'facts'],
      rounds.map((r, i) => [
        String(i + 1),
        String(r.applyMs),
        r.usPerRecord.toFixed(2),
        r.cpuUsPerRecord.toFixed(2),
        String(r.factsMs),
        String(r.facts),
      ]),
    )}\nmedian µs/record: ${result.medianUsPerRecord}`,
  );
}
