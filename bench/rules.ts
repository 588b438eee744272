// Rules benchmarks: `npm run bench:rules [-- --quick] [-- --json-only]`.
//
// (a) Compile and load: reading + validating the YAML (load), compiling it to CLIPS (compile)
//     and building it into a fresh engine with its host functions (install), for the built-in
//     rule set and for the built-in set plus a generated pack of 500 realistic Fathom YAML rules
//     over the built-in fact model (written to a temp directory, so load includes file I/O).
// (b) Per-request evaluation through PolicyEngine.route (engine phase 1: assert the request's
//     facts, run policy -> routing -> transformation, read decisions, retract), with 10,000
//     resident session_exposure facts over 1,000 sessions whose summaries and flags were
//     settled (engine phase 2) before timing; for the built-in set and with the 500-rule pack.
//
// Only measures: nothing here is asserted.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PolicyEngine,
  type PolicyFact,
  type PolicySource,
  type RoutingInput,
} from '../src/broker/policy-engine.ts';
import { Engine } from '../src/engine/index.ts';
import {
  type CompiledRules,
  compileRules,
  installRules,
  loadRuleDirs,
} from '../src/rules/index.ts';
import { Rng } from './rng.ts';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const JSON_ONLY = args.has('--json-only');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILTIN = join(ROOT, 'rules/builtin');

const COMPILE_RUNS = QUICK ? 3 : 10;
const SESSIONS = QUICK ? 200 : 1_000;
const EXPOSURES_PER_SESSION = 10;
const WARMUP = QUICK ? 200 : 1_000;
const TIMED = QUICK ? 1_000 : 10_000;
const GENERATED_RULES = 500;

function log(text: string): void {
  if (!JSON_ONLY) process.stderr.write(`${text}\n`);
}

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
  return {
    p50: round(percentile(s, 50)),
    p90: round(percentile(s, 90)),
    p99: round(percentile(s, 99)),
    max: round(s.at(-1) ?? Number.NaN),
    mean: round(s.reduce((x, y) => x + y, 0) / Math.max(1, s.length)),
  };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const median = (xs: readonly number[]): number =>
  percentile(
    xs.slice().sort((a, b) => a - b),
    50,
  );
const elapsedMs = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;
const fmt = (x: number, digits = 1): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

function table(title: string, header: readonly string[], rows: ReadonlyArray<readonly string[]>) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [title, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join(
    '\n',
  );
}

// ---- the data model ------------------------------------------------------------------------

const LEVELS = ['unclassified', 'cui', 'confidential', 'secret', 'top-secret'] as const;
const DATA_TYPES = [
  'pii',
  'financial',
  'health',
  'telemetry',
  'logs',
  'marketing',
  'employee',
  'legal',
  'geo',
  'contact',
  'billing',
  'support',
] as const;
const PURPOSES = ['analytics', 'support', 'billing', 'research', 'audit', 'hr'] as const;
const N_SOURCES = 20;
const N_AGENTS = 12;

function makeSources(rng: Rng): PolicySource[] {
  return Array.from({ length: N_SOURCES }, (_, i) => ({
    id: `src-${String(i).padStart(2, '0')}`,
    type: 'sqlite',
    // Mostly low levels, so most requests route somewhere.
    classification: LEVELS[Math.min(4, rng.int(3) + (rng.chance(0.3) ? rng.int(3) : 0))] as string,
    compartments: rng.chance(0.1) ? ['nato'] : [],
    dataTypes: rng.sample(DATA_TYPES, 1 + rng.int(3)),
    allowedPurposes: rng.chance(0.4) ? rng.sample(PURPOSES, 2) : [],
  }));
}

interface Agent {
  readonly id: string;
  readonly clearance: string;
  readonly compartments: readonly string[];
}

function makeAgents(rng: Rng): Agent[] {
  return Array.from({ length: N_AGENTS }, (_, i) => ({
    id: `agent-${i}`,
    clearance: LEVELS[1 + rng.int(4)] as string,
    compartments: rng.chance(0.3) ? ['nato'] : [],
  }));
}

/** 10 exposures per session by 1-3 of the agents, each of a random source. */
function sessionFacts(
  rng: Rng,
  session: number,
  sources: readonly PolicySource[],
  agents: readonly Agent[],
): PolicyFact[] {
  const members = rng.sample(agents, 1 + rng.int(3));
  const sid = `s-${session}`;
  const facts: PolicyFact[] = [
    {
      template: 'session_purpose',
      slots: { session_id: sid, purpose: rng.pick(PURPOSES), started_at: 1_000 + rng.int(1_000) },
    },
  ];
  for (let k = 0; k < EXPOSURES_PER_SESSION; k++) {
    const src = rng.pick(sources);
    facts.push({
      template: 'session_exposure',
      slots: {
        session_id: sid,
        request_id: `${sid}-r${Math.floor(k / 2)}`,
        agent_id: rng.pick(members).id,
        source_id: src.id,
        data_types: [...src.dataTypes],
        classification: src.classification,
        fields_returned: ['id', 'name'],
        record_count: BigInt(1 + rng.int(50)),
        timestamp: 1_000 + k,
        query_hash: `h${session}-${k}`,
      },
    });
  }
  return facts;
}

function request(rng: Rng, n: number, agents: readonly Agent[]): RoutingInput {
  const agent = rng.pick(agents);
  return {
    requestId: `req-${n}`,
    sessionId: rng.chance(0.9) ? `s-${rng.int(SESSIONS)}` : null,
    agent: { ...agent, registered: true },
    purpose: rng.chance(0.95) ? rng.pick(PURPOSES) : null,
    now: 2_000 + n / 1000,
    intent: {
      dataTypes: rng.sample(DATA_TYPES, 1 + rng.int(3)),
      confidence: round(0.3 + rng.int(70) / 100, 2),
      structured: false,
    },
    filters: rng.chance(0.3)
      ? [{ field: 'region', operator: '=', value: [rng.pick(['eu', 'us'])] }]
      : [],
  };
}

// ---- the generated 500-rule pack -----------------------------------------------------------

/** A rules directory of `n` rules over the built-in fact model: four denial modules between
 *  policy and routing and one scope module after routing, mixing the DSL's operators. */
function writeGeneratedPack(dir: string, n: number): void {
  const rng = new Rng(500);
  mkdirSync(join(dir, 'modules'));
  mkdirSync(join(dir, 'rules'));
  const denyModules = ['pack-a', 'pack-b', 'pack-c', 'pack-d'];
  writeFileSync(
    join(dir, 'modules/pack.yaml'),
    [
      'modules:',
      ...[...denyModules, 'pack-scope'].map(
        (m) => `  - { name: ${m}, description: "generated ${m}" }`,
      ),
      `focus_order: [policy, ${denyModules.join(', ')}, routing, pack-scope, transformation]`,
      '',
    ].join('\n'),
  );
  const perModule = Math.ceil(n / 5);
  let made = 0;
  for (const module of [...denyModules, 'pack-scope']) {
    const rules: string[] = [];
    for (let i = 0; i < perModule && made < n; i++, made++) {
      const name = `${module}-r${String(i).padStart(3, '0')}`;
      rules.push(
        module === 'pack-scope' ? scopeRule(rng, module, name) : denyRule(rng, module, name, i),
      );
    }
    writeFileSync(
      join(dir, `rules/${module}.yaml`),
      `module: ${module}\nruleset: ${module}\nversion: "1.0"\nrules:\n${rules.join('')}`,
    );
  }
}

function deny(module: string, name: string, reason: string): string {
  return `    then:
      assert:
        - template: denial_record
          slots:
            request_id: ?rid
            source_id: ?sid
            reason: "(str-cat \\"${reason} \\" ?sid)"
            rule: ${module}::${name}
`;
}

function denyRule(rng: Rng, module: string, name: string, i: number): string {
  const dt = rng.pick(DATA_TYPES);
  const purpose = rng.pick(PURPOSES);
  const level = rng.pick(LEVELS.slice(1));
  const head = `  - name: ${name}\n    salience: ${rng.int(100)}\n    description: generated rule ${i}\n    when:\n`;
  switch (i % 5) {
    case 0: // purpose + clearance below a level + data type at one level
      return `${head}      - template: request
        conditions:
          - { slot: request_id, bind: ?rid }
          - { slot: agent_id, bind: ?aid }
          - { slot: purpose, expression: "equals(${purpose})" }
      - template: agent
        conditions:
          - { slot: id, bind: ?aid }
          - { slot: clearance, expression: "below(${level})" }
      - template: source
        conditions:
          - { slot: id, bind: ?sid }
          - { slot: classification, expression: "equals(${rng.pick(LEVELS)})" }
          - { slot: data_types, expression: "contains(${dt})" }
${deny(module, name, `${dt} for ${purpose} needs ${level}:`)}`;
    case 1: // one source kept from one agent for one purpose
      return `${head}      - template: request
        conditions:
          - { slot: request_id, bind: ?rid }
          - { slot: agent_id, expression: 'equals("agent-${rng.int(N_AGENTS)}")' }
          - { slot: purpose, expression: "equals(${purpose})" }
      - template: source
        conditions:
          - { slot: id, bind: ?sid, expression: 'equals("src-${String(rng.int(N_SOURCES)).padStart(2, '0')}")' }
${deny(module, name, 'reserved source')}`;
    case 2: // the session's cumulative level + a purpose + a data type
      return `${head}      - template: request
        conditions:
          - { slot: request_id, bind: ?rid }
          - { slot: session_id, bind: ?ses }
          - { slot: purpose, expression: "equals(${purpose})" }
      - template: session_summary
        conditions:
          - { slot: session_id, bind: ?ses }
          - { slot: classification, expression: "meets_or_exceeds(${level})" }
          - { slot: data_types, expression: "contains(${rng.pick(DATA_TYPES)})" }
      - template: source
        conditions:
          - { slot: id, bind: ?sid }
          - { slot: classification, expression: "equals(${rng.pick(LEVELS)})" }
          - { slot: data_types, expression: "contains(${dt})" }
${deny(module, name, `session at ${level} may not add ${dt}:`)}`;
    case 3: // low-confidence intents may not reach high sources
      return `${head}      - template: intent
        conditions:
          - { slot: request_id, bind: ?rid }
          - { slot: confidence, expression: "less_than(0.${3 + rng.int(3)})" }
      - template: source
        conditions:
          - { slot: id, bind: ?sid }
          - { slot: classification, expression: "in([secret, top-secret])" }
          - { slot: data_types, expression: "contains(${dt})" }
${deny(module, name, 'low confidence:')}`;
    default: // a flagged session may not read a data type for a purpose
      return `${head}      - template: request
        conditions:
          - { slot: request_id, bind: ?rid }
          - { slot: session_id, bind: ?ses }
          - { slot: purpose, expression: "equals(${purpose})" }
      - exists:
          template: exposure_flag
          conditions:
            - { slot: session_id, bind: ?ses }
            - { slot: flag, expression: "equals(${rng.chance(0.5) ? 'pii-financial-combination' : 'cross-agent-pii-propagation'})" }
      - template: source
        conditions:
          - { slot: id, bind: ?sid }
          - { slot: classification, expression: "equals(${rng.pick(LEVELS)})" }
          - { slot: data_types, expression: "contains(${dt})" }
${deny(module, name, 'flagged session:')}`;
  }
}

function scopeRule(rng: Rng, module: string, name: string): string {
  const dt = rng.pick(DATA_TYPES);
  return `  - name: ${name}
    salience: ${rng.int(100)}
    when:
      - template: routing_decision
        conditions:
          - { slot: request_id, bind: ?rid }
          - { slot: source_id, bind: ?sid }
          - { slot: action, expression: "equals(route)" }
      - template: source
        conditions:
          - { slot: id, bind: ?sid }
          - { slot: data_types, expression: "contains(${dt})" }
      - template: intent_filter
        conditions:
          - { slot: request_id, bind: ?rid }
          - { slot: field, expression: 'equals("region")' }
          - { slot: value, bind: ?region }
    then:
      assert:
        - template: scope_constraint
          slots:
            request_id: ?rid
            source_id: ?sid
            field: region
            operator: "="
            value: ?region
            rule: ${module}::${name}
`;
}

// ---- (a) compile and load ------------------------------------------------------------------

interface CompileResult {
  readonly name: string;
  readonly files: number;
  readonly rules: number;
  readonly runs: number;
  /** Medians over the runs, ms. */
  readonly loadMs: number;
  readonly compileMs: number;
  readonly installMs: number;
  readonly totalMs: number;
  readonly minTotalMs: number;
}

function timeCompile(name: string, dirs: readonly string[]): CompileResult {
  const load: number[] = [];
  const compile: number[] = [];
  const install: number[] = [];
  const total: number[] = [];
  let files = 0;
  let rules = 0;
  for (let i = 0; i < COMPILE_RUNS + 1; i++) {
    const t0 = process.hrtime.bigint();
    const set = loadRuleDirs(dirs);
    const t1 = process.hrtime.bigint();
    const compiled = compileRules(set);
    const t2 = process.hrtime.bigint();
    if (set.errors.length + compiled.errors.length > 0)
      throw new Error(`${name}: ${[...set.errors, ...compiled.errors][0]?.message}`);
    installRules(new Engine(), compiled);
    const t3 = process.hrtime.bigint();
    if (i === 0) continue; // the first run warms up the JIT
    files = set.files.length;
    rules = compiled.rules.length;
    load.push(Number(t1 - t0) / 1e6);
    compile.push(Number(t2 - t1) / 1e6);
    install.push(Number(t3 - t2) / 1e6);
    total.push(Number(t3 - t0) / 1e6);
  }
  return {
    name,
    files,
    rules,
    runs: COMPILE_RUNS,
    loadMs: round(median(load), 2),
    compileMs: round(median(compile), 2),
    installMs: round(median(install), 2),
    totalMs: round(median(total), 2),
    minTotalMs: round(Math.min(...total), 2),
  };
}

// ---- (b) per-request evaluation ------------------------------------------------------------

interface EvalResult {
  readonly name: string;
  readonly rules: number;
  readonly sources: number;
  readonly sessions: number;
  readonly sessionExposures: number;
  /** Facts in working memory when timing starts (sources, config, exposures, purposes,
   *  summaries, flags) and when it ends (requests raise cross-agent flags). */
  readonly residentFacts: number;
  readonly residentFactsAfter: number;
  readonly settleMs: number;
  readonly settleUsPerExposure: number;
  readonly timedRequests: number;
  readonly warmupRequests: number;
  readonly latencyUs: Latency;
  readonly firedPerRequest: number;
  readonly routedPerRequest: number;
  readonly deniedPerRequest: number;
  readonly scopedPerRequest: number;
  readonly heapMb: number;
}

function timeRequests(name: string, compiled: CompiledRules): EvalResult {
  const rng = new Rng(42);
  const sources = makeSources(rng);
  const agents = makeAgents(rng);
  const engine = new Engine({ clock: () => 2_000 });
  installRules(engine, compiled);
  const policy = new PolicyEngine(
    engine,
    sources,
    { piiSourceLimit: 3, purposeTtlSeconds: 86_400 },
    { focusOrder: compiled.focusOrder },
  );
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < SESSIONS; s++)
    policy.applySessionFacts(sessionFacts(rng, s, sources, agents));
  const settleMs = elapsedMs(t0);
  const exposures = engine.facts({ template: 'session_exposure' }).length;
  const residentFacts = engine.facts().length;
  const samples: number[] = [];
  let fired = 0;
  let routed = 0;
  let denied = 0;
  let scoped = 0;
  for (let n = 0; n < WARMUP + TIMED; n++) {
    const input = request(rng, n, agents);
    const start = process.hrtime.bigint();
    const out = policy.route(input);
    const us = Number(process.hrtime.bigint() - start) / 1e3;
    if (n < WARMUP) continue;
    samples.push(us);
    fired += out.ruleTrace.length;
    routed += out.routed.length;
    denied += new Set(out.denied.map((d) => d.sourceId)).size;
    scoped += out.scope.size;
  }
  return {
    name,
    rules: compiled.rules.length,
    sources: sources.length,
    sessions: SESSIONS,
    sessionExposures: exposures,
    residentFacts,
    residentFactsAfter: engine.facts().length,
    settleMs: round(settleMs),
    settleUsPerExposure: round((settleMs * 1000) / exposures, 2),
    timedRequests: TIMED,
    warmupRequests: WARMUP,
    latencyUs: latency(samples),
    firedPerRequest: round(fired / TIMED, 2),
    routedPerRequest: round(routed / TIMED, 2),
    deniedPerRequest: round(denied / TIMED, 2),
    scopedPerRequest: round(scoped / TIMED, 2),
    heapMb: round(process.memoryUsage().heapUsed / 2 ** 20),
  };
}

function compiledOf(dirs: readonly string[]): CompiledRules {
  const set = loadRuleDirs(dirs);
  const c = compileRules(set);
  const errors = [...set.errors, ...c.errors];
  if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('\n'));
  return c;
}

// ---- main ----------------------------------------------------------------------------------

function main(): void {
  const started = process.hrtime.bigint();
  log(`nautilus rules bench${QUICK ? ' (--quick)' : ''}`);
  const tmp = mkdtempSync(join(tmpdir(), 'nautilus-bench-rules-'));
  try {
    const pack = join(tmp, 'pack');
    mkdirSync(pack);
    writeGeneratedPack(pack, GENERATED_RULES);
    log('(a) compile and load');
    const compile = [
      timeCompile('built-in', [BUILTIN]),
      timeCompile(`built-in + ${GENERATED_RULES} generated`, [BUILTIN, pack]),
    ];
    log('(b) per-request evaluation');
    const evaluation = [
      timeRequests('built-in', compiledOf([BUILTIN])),
      timeRequests(`built-in + ${GENERATED_RULES} generated`, compiledOf([BUILTIN, pack])),
    ];
    const result = {
      meta: {
        quick: QUICK,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpu: cpus()[0]?.model ?? 'unknown',
        totalSeconds: round(elapsedMs(started) / 1000),
      },
      compile,
      evaluation,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (JSON_ONLY) return;
    const lines = [
      table(
        `(a) compile and load, median of ${COMPILE_RUNS} runs, ms (load = read + validate YAML; install = build into an engine)`,
        ['rule set', 'files', 'rules', 'load', 'compile', 'install', 'total', 'min total'],
        compile.map((c) => [
          c.name,
          String(c.files),
          String(c.rules),
          fmt(c.loadMs, 2),
          fmt(c.compileMs, 2),
          fmt(c.installMs, 2),
          fmt(c.totalMs, 2),
          fmt(c.minTotalMs, 2),
        ]),
      ),
      '',
      table(
        `(b) resident session state: ${SESSIONS} sessions x ${EXPOSURES_PER_SESSION} exposures, settled by engine phase 2 before timing`,
        [
          'rule set',
          'rules',
          'sources',
          'exposures',
          'resident facts (end)',
          'settle ms',
          'µs/exposure',
          'heap MB',
        ],
        evaluation.map((e) => [
          e.name,
          String(e.rules),
          String(e.sources),
          String(e.sessionExposures),
          `${e.residentFacts} (${e.residentFactsAfter})`,
          fmt(e.settleMs),
          fmt(e.settleUsPerExposure, 2),
          fmt(e.heapMb),
        ]),
      ),
      '',
      table(
        `per-request evaluation (PolicyEngine.route), µs, ${TIMED} requests after ${WARMUP} warm-up`,
        [
          'rule set',
          'p50',
          'p90',
          'p99',
          'max',
          'mean',
          'fired/req',
          'routed/req',
          'denied/req',
          'scoped/req',
        ],
        evaluation.map((e) => [
          e.name,
          fmt(e.latencyUs.p50),
          fmt(e.latencyUs.p90),
          fmt(e.latencyUs.p99),
          fmt(e.latencyUs.max),
          fmt(e.latencyUs.mean),
          fmt(e.firedPerRequest, 2),
          fmt(e.routedPerRequest, 2),
          fmt(e.deniedPerRequest, 2),
          fmt(e.scopedPerRequest, 2),
        ]),
      ),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  main();
} catch (x) {
  process.stderr.write(
    `bench failed: ${x instanceof Error ? (x.stack ?? x.message) : String(x)}\n`,
  );
  process.exitCode = 1;
}
