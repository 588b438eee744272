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
import { Engine, type Fact, Sym, type Value } from '../src/engine/index.ts';
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

// ---- deterministic randomness --------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  /** `k` distinct elements, in the order drawn. */
  sample<T>(xs: readonly T[], k: number): T[] {
    const pool = xs.slice();
    const out: T[] = [];
    for (let i = 0; i < k && pool.length > 0; i++)
      out.push(pool.splice(this.int(pool.length), 1)[0] as T);
    return out;
  }
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

// ---- (a) routing workload: data model ------------------------------------------------------

const DATA_TYPES = [
  'pii',
  'financial',
  'health',
  'telemetry',
  'logs',
  'marketing',
  'hr',
  'legal',
  'geo',
  'contact',
  'billing',
  'support',
] as const;
const LEVELS = ['public', 'internal', 'confidential', 'secret'] as const;
const PURPOSES = ['analytics', 'support', 'billing', 'research', 'compliance'] as const;
const FILTER_FIELDS = ['region', 'max_records', 'redact'] as const;
const N_SOURCES = 50;
const CONTEXT_FACTS = 13;

type Level = (typeof LEVELS)[number];

interface SourceSpec {
  readonly id: string;
  readonly dataTypes: readonly string[];
  readonly classification: Level;
  readonly purposes: readonly string[];
}

interface ExposureSpec {
  readonly session: number;
  readonly requestId: string;
  readonly source: SourceSpec;
  readonly records: number;
}

interface RequestSpec {
  readonly rid: string;
  readonly session: number;
  readonly agentId: string;
  readonly clearance: Level;
  readonly purpose: string;
  readonly dataTypes: readonly string[];
  readonly excluded: string | null;
  readonly filters: ReadonlyArray<{ field: string; value: string | bigint }>;
  readonly context: ReadonlyArray<{ key: string; value: bigint }>;
  /** `source action reason`, sorted. */
  readonly expectedDecisions: readonly string[];
  /** `kind detail`, sorted. */
  readonly expectedFlags: readonly string[];
}

const rank = (l: Level): number => LEVELS.indexOf(l) + 1;
const sessionId = (n: number): string => `sess-${n}`;

function makeSources(rng: Rng): SourceSpec[] {
  const out: SourceSpec[] = [];
  for (let i = 0; i < N_SOURCES; i++) {
    out.push({
      id: `s${i}`,
      dataTypes: rng.sample(DATA_TYPES, 2 + rng.int(2)),
      classification: rng.pick(LEVELS),
      purposes: rng.sample(PURPOSES, 2 + rng.int(3)),
    });
  }
  return out;
}

function makeExposures(
  rng: Rng,
  sources: readonly SourceSpec[],
  count: number,
  sessions: number,
): ExposureSpec[] {
  const out: ExposureSpec[] = [];
  for (let j = 0; j < count; j++) {
    out.push({
      session: j % sessions,
      requestId: `hist-${j}`,
      source: rng.pick(sources),
      records: 1 + rng.int(1000),
    });
  }
  return out;
}

/** The JS model of the policy rules: which decision and flags each request must produce. */
function expectRequest(
  spec: Omit<RequestSpec, 'expectedDecisions' | 'expectedFlags'>,
  sources: readonly SourceSpec[],
  bySession: ReadonlyMap<number, readonly ExposureSpec[]>,
): { decisions: string[]; flags: string[] } {
  const history = bySession.get(spec.session) ?? [];
  const decisions: string[] = [];
  for (const s of sources) {
    if (!s.dataTypes.some((t) => spec.dataTypes.includes(t))) continue;
    let reason = 'data-type-match';
    let action = 'deny';
    if (spec.excluded === s.id) reason = 'excluded';
    else if (!s.purposes.includes(spec.purpose)) reason = 'purpose';
    else if (rank(s.classification) > rank(spec.clearance)) reason = 'clearance';
    else if (
      s.dataTypes.includes('pii') &&
      history.some((e) => e.source.classification === 'secret')
    ) {
      reason = 'toxic-combination';
    } else if (history.some((e) => e.source === s && e.records > 900)) reason = 'volume';
    else action = 'allow';
    decisions.push(`${s.id} ${action} ${reason}`);
  }
  if (decisions.length === 0) decisions.push('none deny no-matching-source');
  const flags = new Set<string>();
  if (history.length > 0) flags.add('session-history yes');
  for (const e of history) {
    const c = e.source.classification;
    if ((c === 'confidential' || c === 'secret') && e.records > 500)
      flags.add(`sensitive-volume ${e.source.id}`);
  }
  return { decisions: decisions.sort(), flags: [...flags].sort() };
}

function makeRequests(
  rng: Rng,
  n: number,
  prefix: string,
  sessions: number,
  sources: readonly SourceSpec[],
  bySession: ReadonlyMap<number, readonly ExposureSpec[]>,
): RequestSpec[] {
  const out: RequestSpec[] = [];
  for (let i = 0; i < n; i++) {
    const dataTypes = rng.sample(DATA_TYPES, 1 + rng.int(3));
    const excluded = rng.chance(0.3) ? rng.pick(sources).id : null;
    const filters: Array<{ field: string; value: string | bigint }> = [];
    if (excluded !== null) filters.push({ field: 'exclude_source', value: excluded });
    for (const field of FILTER_FIELDS)
      filters.push({ field, value: field === 'max_records' ? BigInt(rng.int(500)) : 'eu' });
    const context: Array<{ key: string; value: bigint }> = [];
    for (let k = 0; k < CONTEXT_FACTS; k++)
      context.push({ key: `k${k}`, value: BigInt(rng.int(100)) });
    const base = {
      rid: `${prefix}-${i}`,
      session: rng.int(sessions),
      agentId: `agent-${prefix}-${i}`,
      clearance: rng.pick(LEVELS),
      purpose: rng.pick(PURPOSES),
      dataTypes,
      excluded,
      filters,
      context,
    };
    const e = expectRequest(base, sources, bySession);
    out.push({ ...base, expectedDecisions: e.decisions, expectedFlags: e.flags });
  }
  return out;
}

// ---- (a) routing workload: the rules -------------------------------------------------------

const TEMPLATES = `
(deftemplate request (slot request_id) (slot session_id) (slot agent_id) (slot purpose))
(deftemplate agent (slot id) (slot clearance))
(deftemplate intent (slot request_id) (multislot data_types))
(deftemplate intent_filter (slot request_id) (slot field) (slot op) (slot value))
(deftemplate request_context (slot request_id) (slot key) (slot value))
(deftemplate source (slot id) (multislot data_types) (slot classification) (multislot allowed_purposes))
(deftemplate clearance_rank (slot level) (slot rank))
(deftemplate session_exposure (slot session_id) (slot request_id) (slot source_id)
  (multislot data_types) (slot classification) (slot record_count))
(deftemplate candidate (slot request_id) (slot source_id))
(deftemplate routing_decision (slot request_id) (slot source_id) (slot action) (slot reason))
(deftemplate routing_flag (slot request_id) (slot kind) (slot detail))
(deftemplate audit_event (slot kind) (slot level) (slot source_id))
(deftemplate quota (slot agent_id) (slot remaining))
(deftemplate bench_probe (slot n))
`;

const decide = (action: string, reason: string) =>
  `(assert (routing_decision (request_id ?r) (source_id ?s) (action ${action}) (reason ${reason})))`;
const undecided = '(not (routing_decision (request_id ?r) (source_id ?s)))';

const CORE_RULES = `
(defrule match-data-type
  (declare (salience 100))
  (request (request_id ?r))
  (intent (request_id ?r) (data_types $? ?dt $?))
  (source (id ?s) (data_types $? ?dt $?))
  =>
  (assert (candidate (request_id ?r) (source_id ?s))))

(defrule deny-excluded-source
  (declare (salience 50))
  (candidate (request_id ?r) (source_id ?s))
  (intent_filter (request_id ?r) (field exclude_source) (value ?s))
  ${undecided}
  =>
  ${decide('deny', 'excluded')})

(defrule deny-purpose
  (declare (salience 40))
  (candidate (request_id ?r) (source_id ?s))
  (request (request_id ?r) (purpose ?p))
  (source (id ?s) (allowed_purposes $?ap))
  (test (not (member$ ?p ?ap)))
  ${undecided}
  =>
  ${decide('deny', 'purpose')})

(defrule deny-clearance
  (declare (salience 30))
  (candidate (request_id ?r) (source_id ?s))
  (request (request_id ?r) (agent_id ?a))
  (agent (id ?a) (clearance ?c))
  (clearance_rank (level ?c) (rank ?ar))
  (source (id ?s) (classification ?k))
  (clearance_rank (level ?k) (rank ?kr&:(> ?kr ?ar)))
  ${undecided}
  =>
  ${decide('deny', 'clearance')})

(defrule deny-toxic-combination
  (declare (salience 20))
  (candidate (request_id ?r) (source_id ?s))
  (source (id ?s) (data_types $? pii $?))
  (request (request_id ?r) (session_id ?sid))
  (exists (session_exposure (session_id ?sid) (classification secret)))
  ${undecided}
  =>
  ${decide('deny', 'toxic-combination')})

(defrule deny-session-volume
  (declare (salience 15))
  (candidate (request_id ?r) (source_id ?s))
  (request (request_id ?r) (session_id ?sid))
  (session_exposure (session_id ?sid) (source_id ?s) (record_count ?n&:(> ?n 900)))
  ${undecided}
  =>
  ${decide('deny', 'volume')})

(defrule allow-source
  (candidate (request_id ?r) (source_id ?s))
  ${undecided}
  =>
  ${decide('allow', 'data-type-match')})

(defrule deny-no-source
  (declare (salience -10))
  (request (request_id ?r))
  (not (candidate (request_id ?r)))
  =>
  (assert (routing_decision (request_id ?r) (source_id none) (action deny) (reason no-matching-source))))

(defrule flag-session-history
  (declare (salience 5))
  (request (request_id ?r) (session_id ?sid))
  (exists (session_exposure (session_id ?sid)))
  =>
  (assert (routing_flag (request_id ?r) (kind session-history) (detail yes))))

(defrule flag-sensitive-volume
  (declare (salience 5))
  (request (request_id ?r) (session_id ?sid))
  (session_exposure (session_id ?sid) (source_id ?src) (classification confidential|secret)
                    (record_count ?n&:(> ?n 500)))
  =>
  (assert (routing_flag (request_id ?r) (kind sensitive-volume) (detail ?src))))
`;

/** ~190 rules that make the network realistically wide but (by construction) never fire. */
function fillerRules(): string {
  const out: string[] = [];
  for (let i = 0; i < 60; i++) {
    const s = `s${i % N_SOURCES}`;
    out.push(`(defrule watch-forensics-${i}
  (candidate (request_id ?r) (source_id ${s}))
  (request (request_id ?r) (purpose forensics))
  =>
  (assert (routing_flag (request_id ?r) (kind forensics-watch) (detail ${s}))))`);
  }
  for (let i = 0; i < N_SOURCES; i++) {
    out.push(`(defrule quarantine-s${i}
  (declare (salience 60))
  (source (id s${i}))
  (audit_event (kind quarantine) (source_id s${i}))
  (candidate (request_id ?r) (source_id s${i}))
  =>
  (assert (routing_decision (request_id ?r) (source_id s${i}) (action deny) (reason quarantined))))`);
  }
  for (let i = 0; i < 40; i++) {
    out.push(`(defrule filter-field-${i}
  (intent_filter (request_id ?r) (field f${i}) (value ?v))
  (request (request_id ?r) (session_id ?sid))
  (session_exposure (session_id ?sid) (source_id ?v))
  =>
  (assert (routing_flag (request_id ?r) (kind filter-f${i}) (detail ?v))))`);
  }
  for (let i = 0; i < 30; i++) {
    out.push(`(defrule context-threshold-${i}
  (request_context (request_id ?r) (key k${i % CONTEXT_FACTS}) (value ?v&:(> ?v ${1000 + i})))
  (request (request_id ?r))
  =>
  (assert (routing_flag (request_id ?r) (kind context-k${i}) (detail ?v))))`);
  }
  for (let i = 0; i < 10; i++) {
    out.push(`(defrule quota-exhausted-${i}
  (request (request_id ?r) (agent_id ?a))
  (agent (id ?a) (clearance ${LEVELS[i % LEVELS.length]}))
  (quota (agent_id ?a) (remaining ${i}))
  =>
  (assert (routing_flag (request_id ?r) (kind quota-${i}) (detail ?a))))`);
  }
  return out.join('\n\n');
}

// ---- (a) routing workload: running it ------------------------------------------------------

interface RequestOutcome {
  readonly fired: number;
  readonly decisions: readonly Fact[];
  readonly flags: readonly Fact[];
}

const slotText = (f: Fact, slot: string): string => {
  const v = f.get(slot) as Value;
  return String(v);
};

/** Asserts the request's transient facts, runs, reads the derived facts, retracts everything. */
function routeRequest(
  engine: Engine,
  spec: RequestSpec,
  n: number,
  read: 'scan' | 'facts-api',
): RequestOutcome {
  const transient: Fact[] = [];
  const rid = spec.rid;
  transient.push(
    engine.assertFact('request', {
      request_id: rid,
      session_id: sessionId(spec.session),
      agent_id: spec.agentId,
      purpose: Sym.of(spec.purpose),
    }),
  );
  transient.push(
    engine.assertFact('agent', { id: spec.agentId, clearance: Sym.of(spec.clearance) }),
  );
  transient.push(
    engine.assertFact('intent', {
      request_id: rid,
      data_types: spec.dataTypes.map((t) => Sym.of(t)),
    }),
  );
  for (const f of spec.filters) {
    transient.push(
      engine.assertFact('intent_filter', {
        request_id: rid,
        field: Sym.of(f.field),
        op: Sym.of('eq'),
        value: typeof f.value === 'string' ? Sym.of(f.value) : f.value,
      }),
    );
  }
  for (const c of spec.context) {
    transient.push(
      engine.assertFact('request_context', { request_id: rid, key: Sym.of(c.key), value: c.value }),
    );
  }
  const lastTransient = (transient.at(-1) as Fact).id;
  const result = engine.run();
  let decisions: Fact[];
  let flags: Fact[];
  let derived: Fact[];
  if (read === 'scan') {
    // Fact ids grow monotonically: everything the run asserted lies between the last transient
    // fact and a probe asserted now. Cost is independent of the resident facts.
    const probe = engine.assertFact('bench_probe', { n: BigInt(n) });
    derived = [];
    decisions = [];
    flags = [];
    for (let id = lastTransient + 1; id < probe.id; id++) {
      const f = engine.fact(id);
      if (f === undefined) continue;
      derived.push(f);
      const t = f.template.name;
      if (t === 'routing_decision') decisions.push(f);
      else if (t === 'routing_flag') flags.push(f);
    }
    engine.retract(probe);
  } else {
    // The documented query API (scans all of working memory).
    decisions = engine.facts({ template: 'routing_decision', where: { request_id: rid } });
    flags = engine.facts({ template: 'routing_flag', where: { request_id: rid } });
    derived = [
      ...decisions,
      ...flags,
      ...engine.facts({ template: 'candidate', where: { request_id: rid } }),
    ];
  }
  for (const f of derived) engine.retract(f);
  for (const f of transient) engine.retract(f);
  return { fired: result.fired.length, decisions, flags };
}

function checkOutcome(spec: RequestSpec, out: RequestOutcome): string | null {
  const got = out.decisions
    .map((f) => `${slotText(f, 'source_id')} ${slotText(f, 'action')} ${slotText(f, 'reason')}`)
    .sort();
  const rid = out.decisions.every((f) => slotText(f, 'request_id') === spec.rid);
  const flags = out.flags.map((f) => `${slotText(f, 'kind')} ${slotText(f, 'detail')}`).sort();
  if (!rid || got.join('|') !== spec.expectedDecisions.join('|')) {
    return `${spec.rid}: decisions ${JSON.stringify(got)}, expected ${JSON.stringify(spec.expectedDecisions)}`;
  }
  if (flags.join('|') !== spec.expectedFlags.join('|')) {
    return `${spec.rid}: flags ${JSON.stringify(flags)}, expected ${JSON.stringify(spec.expectedFlags)}`;
  }
  return null;
}

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
  const bySession = new Map<number, ExposureSpec[]>();
  for (const e of exposures) {
    const list = bySession.get(e.session);
    if (list === undefined) bySession.set(e.session, [e]);
    else list.push(e);
  }
  const warmup = QUICK ? 100 : 500;
  const timed = QUICK ? 300 : 2000;
  const variant = QUICK ? 50 : 200;
  const warm = makeRequests(rng, warmup, 'warm', sessions, sources, bySession);
  const reqs = makeRequests(rng, timed, 'req', sessions, sources, bySession);
  const viaApi = makeRequests(rng, variant, 'api', sessions, sources, bySession);

  const t0 = process.hrtime.bigint();
  const engine = new Engine({ maxFirings: 100_000 });
  engine.build(TEMPLATES + CORE_RULES + fillerRules(), '<bench-routing>');
  const t1 = process.hrtime.bigint();
  for (const l of LEVELS)
    engine.assertFact('clearance_rank', { level: Sym.of(l), rank: BigInt(rank(l)) });
  for (const s of sources) {
    engine.assertFact('source', {
      id: Sym.of(s.id),
      data_types: s.dataTypes.map((t) => Sym.of(t)),
      classification: Sym.of(s.classification),
      allowed_purposes: s.purposes.map((p) => Sym.of(p)),
    });
  }
  for (const e of exposures) {
    engine.assertFact('session_exposure', {
      session_id: sessionId(e.session),
      request_id: e.requestId,
      source_id: Sym.of(e.source.id),
      data_types: e.source.dataTypes.map((t) => Sym.of(t)),
      classification: Sym.of(e.source.classification),
      record_count: BigInt(e.records),
    });
  }
  const setupRun = engine.run();
  const t2 = process.hrtime.bigint();
  if (setupRun.fired.length !== 0)
    throw new Error(`${name}: loading resident facts fired ${setupRun.fired.length} rules`);
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
