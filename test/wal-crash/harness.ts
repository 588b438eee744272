// Crash-test harness: a real `nautilus serve` child (WAL on, sessions in SQLite or PostgreSQL)
// that dies by SIGKILL (a failpoint or `kill -9`), a client ledger of what the server
// acknowledged, and the checks run after a restart through the REST API.
//
// The checks, per session: every acknowledged request's exposures are there exactly once and
// match what the answer reported; no request is partly applied (its exposure rows are all there
// or none); an unacknowledged request is there at most once, and once a restart has decided
// whether it is there, no later crash changes that; no exposure of an unknown request; the
// summary agrees with the exposure rows; every flag an acknowledged answer reported is there.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyAuditFile } from '../../src/audit/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createSessionStore } from '../../src/session/store/index.ts';
import { scanWal, type WalScan } from '../../src/wal/index.ts';
import { type SessionWorld, sessionWorld } from '../broker/session-fixture.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ---- the world and the server ---------------------------------------------------------------

export interface CrashWorldOptions {
  readonly mode: 'synchronous' | 'async';
  /** `session_store:` lines (default: SQLite in data_dir). */
  readonly sessionStore?: string;
  /** Small segments make checkpoints delete files (the minimum is 64 KiB). */
  readonly segmentBytes?: number;
}

export function crashWorld(o: CrashWorldOptions): SessionWorld {
  return sessionWorld({
    persistence: [
      `  mode: ${o.mode}`,
      '  wal_enabled: true',
      `  wal_segment_bytes: ${o.segmentBytes ?? 64 * 1024}`,
    ].join('\n'),
    ...(o.sessionStore === undefined ? {} : { sessionStore: o.sessionStore }),
  });
}

export const walDirOf = (w: SessionWorld) => join(w.dir, 'state', 'wal');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(path) : st.mtimeMs);
  }
  return newest;
}

/**
 * How to start `nautilus serve`: the built `dist/cli/main.js` when it exists and is newer than
 * every source file (it starts faster), else the sources through tsx.
 * `NAUTILUS_CRASH_ENTRY=dist|tsx` forces one.
 */
export const SERVE_ENTRY: { readonly kind: 'dist' | 'tsx'; readonly argv: readonly string[] } =
  (() => {
    const dist = join(ROOT, 'dist/cli/main.js');
    const forced = process.env.NAUTILUS_CRASH_ENTRY;
    let useDist = forced === 'dist';
    if (forced === undefined) {
      try {
        useDist =
          statSync(join(ROOT, 'dist/failpoint.js')).isFile() &&
          statSync(dist).mtimeMs > newestMtime(join(ROOT, 'src'));
      } catch {
        useDist = false;
      }
    }
    return useDist
      ? { kind: 'dist', argv: [dist] }
      : { kind: 'tsx', argv: ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')] };
  })();

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One `nautilus serve` process on 127.0.0.1, an ephemeral port, no auth. */
export class Server {
  private out = '';
  private exitInfo: Exit | null = null;
  readonly exited: Promise<Exit>;
  private readonly listening: Promise<string>;
  readonly startedAt = performance.now();

  private constructor(
    readonly child: ChildProcess,
    readonly failpoint: string | null,
  ) {
    let onUrl: (u: string) => void = () => {};
    let noUrl: (e: Error) => void = () => {};
    this.listening = new Promise<string>((resolve, reject) => {
      onUrl = resolve;
      noUrl = reject;
    });
    this.listening.catch(() => {});
    const take = (b: Buffer) => {
      this.out += b.toString();
    };
    child.stdout?.on('data', (b: Buffer) => {
      take(b);
      const m = /"address":"(http:\/\/[^"]+)","msg":"REST API listening"/.exec(this.out);
      if (m !== null) onUrl(m[1] as string);
    });
    child.stderr?.on('data', take);
    this.exited = new Promise<Exit>((resolve) => {
      child.on('close', (code, signal) => {
        this.exitInfo = { code, signal };
        noUrl(new Error(`serve exited (${code ?? signal}) before listening:\n${this.out}`));
        resolve(this.exitInfo);
      });
    });
  }

  static start(configPath: string, failpoint: string | null = null): Server {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NAUTILUS_FAILPOINT;
    if (failpoint !== null) env.NAUTILUS_FAILPOINT = failpoint;
    const child = spawn(
      process.execPath,
      [...SERVE_ENTRY.argv, 'serve', '--config', configPath, '--no-auth', '--bind', '127.0.0.1:0'],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new Server(child, failpoint);
  }

  get exit(): Exit | null {
    return this.exitInfo;
  }

  output(): string {
    return this.out;
  }

  /** Resolves with the base URL once /readyz answers 200; rejects if the process exits. */
  async ready(timeoutMs = 60_000): Promise<string> {
    const base = await this.listening;
    const until = performance.now() + timeoutMs;
    for (;;) {
      if (this.exitInfo !== null)
        throw new Error(`serve exited (${describeExit(this.exitInfo)}) before ready:\n${this.out}`);
      const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(
        () => null,
      );
      if (r !== null) await r.arrayBuffer().catch(() => {});
      if (r?.status === 200) return base;
      if (performance.now() > until) throw new Error(`${base} not ready:\n${this.out}`);
      await sleep(10);
    }
  }

  /** `kill -9`; resolves once the process is gone. */
  async kill9(): Promise<Exit> {
    if (this.exitInfo === null) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM (a clean stop); resolves with how it ended. */
  async stop(): Promise<Exit> {
    if (this.exitInfo === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** The counts the broker logged after WAL recovery (waits for the log line). */
  async walRecovery(timeoutMs = 10_000): Promise<WalRecoveryLog> {
    const until = performance.now() + timeoutMs;
    for (;;) {
      const m = /"wal_recovery":(\{[^}]*\}),"msg":"WAL recovered"/.exec(this.out);
      if (m !== null) return JSON.parse(m[1] as string) as WalRecoveryLog;
      if (performance.now() > until || this.exitInfo !== null)
        throw new Error(`no "WAL recovered" log line:\n${this.out}`);
      await sleep(10);
    }
  }
}

export interface WalRecoveryLog {
  readonly records: number;
  readonly applied: number;
  readonly skipped: number;
  readonly kept: number;
  readonly ms: number;
}

export function describeExit(e: Exit): string {
  return e.signal ?? `exit ${e.code}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- requests and the ledger ----------------------------------------------------------------

/** What the test asks for; each kind reads fixed sources unless the policy denies it. */
export const KINDS = {
  vuln: { types: ['vulnerability'], sources: ['vulns'], denyable: false },
  fin: { types: ['financial'], sources: ['ledger'], denyable: false },
  both: { types: ['financial', 'vulnerability'], sources: ['ledger', 'vulns'], denyable: false },
  hr: { types: ['hr'], sources: ['pii-a'], denyable: true },
  crm: { types: ['crm'], sources: ['pii-b'], denyable: true },
} as const;
export type Kind = keyof typeof KINDS;

export type Outcome =
  /** HTTP 200: the answer reached the client. */
  | 'ack'
  /** No answer (the process died) or an error answer: it may or may not have been applied. */
  | 'unknown'
  /** A restart showed it applied (it must stay so). */
  | 'applied'
  /** A restart showed it absent (it must stay so). */
  | 'absent';

export interface Sent {
  readonly rid: string;
  readonly sid: string;
  readonly agent: string;
  readonly kind: Kind;
  outcome: Outcome;
  /** The answer's sources_queried (ack only). */
  sources?: readonly string[];
  /** The answer's exposure_summary.flags (ack only). */
  flags?: readonly string[];
  /** An error answer's status (a 503 is expected while the process stops). */
  status?: number;
}

export class Ledger {
  readonly sessions = new Map<string, Map<string, Sent>>();
  /** Sessions a client asked to close (DELETE): 'ack' once answered 200. */
  readonly closes = new Map<string, Outcome>();
  private seq = 0;

  constructor(private readonly prefix: string) {}

  /** Sends one structured query in a session and records its outcome. */
  async send(base: string, sid: string, agent: string, kind: Kind): Promise<Sent> {
    const rid = `${this.prefix}-${++this.seq}`;
    const sent: Sent = { rid, sid, agent, kind, outcome: 'unknown' };
    let forSession = this.sessions.get(sid);
    if (forSession === undefined) {
      forSession = new Map();
      this.sessions.set(sid, forSession);
    }
    forSession.set(rid, sent);
    let res: Response;
    try {
      res = await fetch(`${base}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          agent_id: agent,
          data_types: KINDS[kind].types,
          context: { session_id: sid, request_id: rid },
        }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      return sent; // connection refused or cut: unknown
    }
    let body: AnswerBody | null;
    try {
      body = (await res.json()) as AnswerBody | null;
    } catch {
      return sent; // the answer was cut off: not acknowledged
    }
    if (res.status !== 200) {
      sent.status = res.status;
      return sent;
    }
    assert.equal(body?.request_id, rid, 'the answer names the request');
    sent.outcome = 'ack';
    sent.sources = body?.sources_queried ?? [];
    sent.flags = body?.exposure_summary?.flags ?? [];
    return sent;
  }

  /** Closes a session (DELETE /v1/sessions/:id) and records the outcome. */
  async close(base: string, sid: string): Promise<Outcome> {
    this.closes.set(sid, 'unknown');
    let outcome: Outcome = 'unknown';
    try {
      const res = await fetch(`${base}/v1/sessions/${encodeURIComponent(sid)}`, {
        method: 'DELETE',
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      // 404: nothing of the session was ever applied, so there was nothing to close.
      if (res.status === 200) outcome = 'ack';
      else if (res.status === 404) outcome = 'absent';
    } catch {
      // no answer: unknown
    }
    this.closes.set(sid, outcome);
    return outcome;
  }

  count(outcome: Outcome): number {
    let n = 0;
    for (const m of this.sessions.values())
      for (const s of m.values()) if (s.outcome === outcome) n++;
    return n;
  }

  total(): number {
    let n = 0;
    for (const m of this.sessions.values()) n += m.size;
    return n;
  }
}

interface AnswerBody {
  readonly request_id?: string;
  readonly sources_queried?: string[];
  readonly exposure_summary?: { flags?: string[] } | null;
}

interface SessionView {
  readonly session_id: string;
  readonly status: string;
  readonly exposures: readonly { request_id: string; agent_id: string; source_id: string }[];
  readonly flags: readonly { flag: string }[];
  readonly summary: { exposures: number; sources: readonly string[]; flags: readonly string[] };
}

/**
 * Checks every session of the ledger (or only `only`) through GET /v1/sessions/:id, and settles
 * unknown outcomes to `applied` or `absent`. Returns problems found (empty when all is well).
 */
export async function verifySessions(
  base: string,
  ledger: Ledger,
  only?: Iterable<string>,
): Promise<string[]> {
  const problems: string[] = [];
  const ids = only === undefined ? [...ledger.sessions.keys()] : [...only];
  for (const sid of ids) {
    const sent = ledger.sessions.get(sid);
    if (sent === undefined) continue;
    const res = await fetch(`${base}/v1/sessions/${encodeURIComponent(sid)}`, {
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status === 404) {
      const closed = ledger.closes.get(sid);
      if (closed === 'ack' || closed === 'applied')
        problems.push(`${sid}: closed (${closed}), now unknown to the server`);
      if (closed === 'unknown') ledger.closes.set(sid, 'absent');
      for (const s of sent.values()) {
        // An answered request in a session always stored something (at least its purpose).
        if (s.outcome === 'ack')
          problems.push(`${sid}: acknowledged ${s.rid} ([${s.sources}]) lost: no session`);
        if (s.outcome === 'applied') problems.push(`${sid}: ${s.rid} was applied, now gone`);
        if (s.outcome === 'unknown') s.outcome = 'absent';
      }
      continue;
    }
    if (res.status !== 200) {
      problems.push(`${sid}: GET answered ${res.status}: ${text}`);
      continue;
    }
    const view = JSON.parse(text) as SessionView;
    const closed = ledger.closes.get(sid);
    if (view.status === 'closed') {
      if (closed === undefined || closed === 'absent')
        problems.push(`${sid}: closed, but its close was ${closed ?? 'never asked for'}`);
      else if (closed === 'unknown') ledger.closes.set(sid, 'applied');
    } else {
      if (closed === 'ack' || closed === 'applied')
        problems.push(`${sid}: its close was ${closed}, the session is ${view.status}`);
      else if (closed === 'unknown') ledger.closes.set(sid, 'absent');
    }
    problems.push(...checkSession(sid, view, sent));
  }
  return problems;
}

function checkSession(sid: string, view: SessionView, sent: Map<string, Sent>): string[] {
  const problems: string[] = [];
  const byRequest = new Map<string, string[]>();
  for (const e of view.exposures) {
    const list = byRequest.get(e.request_id) ?? [];
    list.push(e.source_id);
    byRequest.set(e.request_id, list);
    const s = sent.get(e.request_id);
    if (s === undefined) problems.push(`${sid}: exposure of unknown request ${e.request_id}`);
    else if (s.agent !== e.agent_id)
      problems.push(`${sid}: ${e.request_id} by ${e.agent_id}, sent as ${s.agent}`);
  }
  for (const [rid, sources] of byRequest) {
    if (new Set(sources).size !== sources.length)
      problems.push(`${sid}: ${rid} applied more than once: ${sources.join(',')}`);
  }
  for (const s of sent.values()) {
    const have = (byRequest.get(s.rid) ?? []).slice().sort();
    const possible = KINDS[s.kind].sources;
    switch (s.outcome) {
      case 'ack': {
        const want = [...(s.sources ?? [])].sort();
        if (have.join(',') !== want.join(','))
          problems.push(
            `${sid}: acknowledged ${s.rid} answered [${want}], the session has [${have}]`,
          );
        break;
      }
      case 'applied':
        if (have.length === 0) problems.push(`${sid}: ${s.rid} was applied, now gone`);
        break;
      case 'absent':
        if (have.length > 0)
          problems.push(`${sid}: ${s.rid} was absent after a restart, now there: [${have}]`);
        break;
      case 'unknown':
        s.outcome = have.length > 0 ? 'applied' : 'absent';
        break;
    }
    if (have.some((x) => !possible.includes(x as never)))
      problems.push(`${sid}: ${s.rid} (${s.kind}) exposed [${have}]`);
    if (!KINDS[s.kind].denyable && have.length > 0 && have.length !== possible.length)
      problems.push(`${sid}: ${s.rid} partly applied: [${have}] of [${possible}]`);
  }
  if (view.summary.exposures !== view.exposures.length)
    problems.push(
      `${sid}: summary counts ${view.summary.exposures} exposures, ${view.exposures.length} listed`,
    );
  const sources = [...new Set(view.exposures.map((e) => e.source_id))].sort();
  if ([...view.summary.sources].sort().join(',') !== sources.join(','))
    problems.push(`${sid}: summary sources [${view.summary.sources}], exposures [${sources}]`);
  const flags = new Set([...view.summary.flags, ...view.flags.map((f) => f.flag)]);
  for (const s of sent.values()) {
    for (const f of s.outcome === 'ack' ? (s.flags ?? []) : [])
      if (!flags.has(f)) problems.push(`${sid}: flag ${f} answered to ${s.rid} is gone`);
  }
  return problems;
}

// ---- WAL and store state between a crash and the restart ------------------------------------

export interface CrashState {
  readonly scan: WalScan;
  /** WAL records (torn tail excluded). */
  readonly records: number;
  /** Records the restart must apply: above their session row's wal_lsn. */
  readonly toApply: number;
  /** Whether the scan found a torn tail (an interrupted write). */
  readonly tornTail: boolean;
}

/**
 * Reads the WAL (read-only: corruption throws) and the session store of a dead server, and
 * works out how many records recovery must apply.
 */
export async function crashState(w: SessionWorld): Promise<CrashState> {
  const scan = await scanWal(walDirOf(w), { repair: 'none' });
  const config = loadConfig(w.configPath);
  const store = createSessionStore(config.session_store, { dataDir: config.data_dir });
  const rows = new Map<string, { walLsn: number; status: string } | null>();
  let records = 0;
  let toApply = 0;
  await store.open();
  try {
    for await (const r of scan.readRecords()) {
      records++;
      if (!rows.has(r.sid)) rows.set(r.sid, await store.load(r.sid));
      const row = rows.get(r.sid);
      if (row === null || row === undefined || (row.status === 'open' && r.lsn > row.walLsn))
        toApply++;
    }
  } finally {
    await store.close();
  }
  const tornTail = scan.repairs.some((x) => x.kind === 'torn-tail');
  return { scan, records, toApply, tornTail };
}

/** After a restart: the WAL scans clean (nothing to cut, nothing corrupt). */
export async function assertWalClean(w: SessionWorld): Promise<void> {
  const scan = await scanWal(walDirOf(w), { repair: 'none' });
  assert.deepEqual(scan.repairs, [], 'the restarted WAL scans clean');
}

// ---- the audit log ---------------------------------------------------------------------------

/**
 * The audit log survives the crashes too: its chain verifies (a torn last line is cut at open),
 * every acknowledged request has its line (appended and fsynced before the answer), and every
 * acknowledged close its `session_closed` line. Returns problems found.
 */
export async function auditProblems(w: SessionWorld, ledger: Ledger): Promise<string[]> {
  const path = join(w.dir, 'state', 'audit.jsonl');
  const result = await verifyAuditFile(path);
  const problems = result.problems.map((p) => `audit: ${JSON.stringify(p)}`);
  const requests = new Set<string>();
  const closed = new Set<string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as { kind: string; request_id?: string; session_id?: string };
    if (e.kind === 'request' && e.request_id !== undefined) requests.add(e.request_id);
    if (e.kind === 'session_closed' && e.session_id !== undefined) closed.add(e.session_id);
  }
  for (const m of ledger.sessions.values())
    for (const s of m.values())
      if (s.outcome === 'ack' && !requests.has(s.rid))
        problems.push(`audit: no line for acknowledged request ${s.rid}`);
  for (const [sid, outcome] of ledger.closes)
    if (outcome === 'ack' && !closed.has(sid))
      problems.push(`audit: no session_closed line for ${sid}`);
  return problems;
}

// A seeded random source: the WAL's own (mulberry32), so runs are reproducible from the seed.
export { seededRandom as seeded } from '../../src/wal/index.ts';
