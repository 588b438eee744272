// The routing-shaped workload of `npm run bench:engine` (a): ~200 policy-broker rules, resident
// `source` and `session_exposure` facts, and per-request transient facts asserted, run, read and
// retracted again, each request's decisions checked against a JS model of the rules. Shared by
// bench/engine.ts and bench/engine-ab.ts (which runs two checkouts of the engine side by side).
import { Engine, type Fact, Sym, type Value } from '../src/engine/index.ts';
import { Rng } from './rng.ts';

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
export const LEVELS = ['public', 'internal', 'confidential', 'secret'] as const;
const PURPOSES = ['analytics', 'support', 'billing', 'research', 'compliance'] as const;
const FILTER_FIELDS = ['region', 'max_records', 'redact'] as const;
export const N_SOURCES = 50;
export const CONTEXT_FACTS = 13;

type Level = (typeof LEVELS)[number];

export interface SourceSpec {
  readonly id: string;
  readonly dataTypes: readonly string[];
  readonly classification: Level;
  readonly purposes: readonly string[];
}

export interface ExposureSpec {
  readonly session: number;
  readonly requestId: string;
  readonly source: SourceSpec;
  readonly records: number;
}

export interface RequestSpec {
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

export const rank = (l: Level): number => LEVELS.indexOf(l) + 1;
export const sessionId = (n: number): string => `sess-${n}`;

export function makeSources(rng: Rng): SourceSpec[] {
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

export function makeExposures(
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

export function makeRequests(
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

export const TEMPLATES = `
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

export const CORE_RULES = `
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
export function fillerRules(): string {
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

export interface RequestOutcome {
  readonly fired: number;
  readonly decisions: readonly Fact[];
  readonly flags: readonly Fact[];
}

const slotText = (f: Fact, slot: string): string => {
  const v = f.get(slot) as Value;
  return String(v);
};

/** Asserts the request's transient facts, runs, reads the derived facts, retracts everything. */
export function routeRequest(
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

export function checkOutcome(spec: RequestSpec, out: RequestOutcome): string | null {
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

/** Groups exposures by session, for the JS model. */
export function bySessionOf(exposures: readonly ExposureSpec[]): Map<number, ExposureSpec[]> {
  const bySession = new Map<number, ExposureSpec[]>();
  for (const e of exposures) {
    const list = bySession.get(e.session);
    if (list === undefined) bySession.set(e.session, [e]);
    else list.push(e);
  }
  return bySession;
}

/** A new engine with the workload's rules. */
export function buildRoutingEngine(): Engine {
  const engine = new Engine({ maxFirings: 100_000 });
  engine.build(TEMPLATES + CORE_RULES + fillerRules(), '<bench-routing>');
  return engine;
}

/** Asserts the resident facts (clearance ranks, sources, session exposures); none fires. */
export function loadResident(
  engine: Engine,
  sources: readonly SourceSpec[],
  exposures: readonly ExposureSpec[],
): void {
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
  const fired = engine.run().fired.length;
  if (fired !== 0) throw new Error(`loading resident facts fired ${fired} rules`);
}

/** A loaded engine and a fixed list of requests for it (the A/B bench's unit). */
export interface RoutingSession {
  /** Routes request `i` (modulo the list); returns its wall time in µs (routing only). */
  request(i: number): number;
  /** Requests whose decisions or flags differed from the JS model so far. */
  mismatches(): number;
}

export function routingSession(exposuresCount: number, sessions: number): RoutingSession {
  const rng = new Rng(0x5eed + exposuresCount);
  const sources = makeSources(new Rng(42));
  const exposures = makeExposures(rng, sources, exposuresCount, sessions);
  const reqs = makeRequests(rng, 3000, 'ab', sessions, sources, bySessionOf(exposures));
  const engine = buildRoutingEngine();
  loadResident(engine, sources, exposures);
  let n = 0;
  let bad = 0;
  return {
    request(i: number): number {
      const spec = reqs[i % reqs.length] as RequestSpec;
      const a = process.hrtime.bigint();
      const out = routeRequest(engine, spec, n++, 'scan');
      const us = Number(process.hrtime.bigint() - a) / 1e3;
      if (checkOutcome(spec, out) !== null) bad++;
      return us;
    },
    mismatches: () => bad,
  };
}
