// kill -9 under load: `nautilus serve` (WAL on) with 8 clients over 50 sessions is killed at a
// random moment, restarted and checked through the REST API, again and again on the same data
// directory, with one ledger of what was acknowledged across all iterations (harness.ts lists
// the checks). Sometimes the restart itself is killed too (during recovery or just after).
//
//   NAUTILUS_CRASH_ITERATIONS   SQLite iterations (default 200)
//   NAUTILUS_CRASH_PG_ITERATIONS  PostgreSQL iterations (default 5; 0 skips)
//   NAUTILUS_CRASH_SEED         the seed (default: random; printed, and named on failure)
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { pgSessionStore, type SessionWorld } from '../broker/session-fixture.ts';
import { usePgCluster } from '../helpers/pg.ts';
import { drive } from './drive.ts';
import {
  assertWalClean,
  auditProblems,
  crashState,
  crashWorld,
  describeExit,
  type Kind,
  Ledger,
  SERVE_ENTRY,
  Server,
  seeded,
  sleep,
  verifySessions,
} from './harness.ts';

const envInt = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  assert.ok(Number.isSafeInteger(n) && n >= 0, `${name} must be a whole number, got ${v}`);
  return n;
};

const ITERATIONS = envInt('NAUTILUS_CRASH_ITERATIONS', 200);
const PG_ITERATIONS = envInt('NAUTILUS_CRASH_PG_ITERATIONS', 5);
const SEED = envInt('NAUTILUS_CRASH_SEED', Math.floor(Math.random() * 2 ** 31));

const WORKERS = 8;
const SLOTS = 50;
/** A session is closed and replaced once it has this many requests (keeps rows small). */
const RETIRE_AFTER = 40;
const KINDS: readonly Kind[] = ['vuln', 'fin', 'both', 'both', 'hr', 'crm'];
const AGENTS = ['alice', 'bob'] as const;
/** The chance that a client closes its session instead of sending a request. */
const CLOSE_CHANCE = 0.01;

interface LoopStats {
  readonly iterationMs: number[];
  /** Where the time goes: until the first answer, the load, reading the dead server's WAL and
   *  store (and any killed restart), restart until ready, the checks. */
  readonly phaseMs: { warm: number; load: number; inspect: number; restart: number; check: number };
  sent: number;
  acknowledged: number;
  replayed: number;
  tornTails: number;
  startupKills: number;
  /** Stops by SIGTERM cut short by kill -9. */
  termKills: number;
  /** Closed by clients under load / by the test between iterations. */
  closed: number;
  retired: number;
}

/** The kill -9 loop on one world; throws (naming seed and iteration) on the first problem. */
async function killLoop(
  t: TestContext,
  w: SessionWorld,
  iterations: number,
  seed: number,
  label: string,
): Promise<LoopStats> {
  const random = seeded(seed);
  const ledger = new Ledger(label);
  let generation = 0;
  const slots = Array.from({ length: SLOTS }, () => `${label}-s${generation++}`);
  const stats: LoopStats = {
    iterationMs: [],
    phaseMs: { warm: 0, load: 0, inspect: 0, restart: 0, check: 0 },
    sent: 0,
    acknowledged: 0,
    replayed: 0,
    tornTails: 0,
    startupKills: 0,
    termKills: 0,
    closed: 0,
    retired: 0,
  };
  const where = (i: number) => `${label}: seed ${seed}, iteration ${i}`;
  /** Adds the time since `from` to a phase; returns now. */
  const lap = (phase: keyof LoopStats['phaseMs'], from: number): number => {
    const now = performance.now();
    stats.phaseMs[phase] += now - from;
    return now;
  };
  /** Sessions clients closed (or tried to) since the last check. */
  const closedNow: string[] = [];

  let server = Server.start(w.configPath);
  let base = await server.ready();
  try {
    for (let i = 0; i < iterations; i++) {
      const started = performance.now();
      // Load; from the first answer on (a fresh process answers its first requests slowly),
      // 50-400 ms more, then kill -9 in the middle of it.
      const runMs = 50 + Math.floor(random() * 350);
      let warm: () => void = () => {};
      const answered = new Promise<void>((resolve) => {
        warm = resolve;
      });
      const load = drive(server, base, ledger, {
        workers: WORKERS,
        sessions: slots,
        kinds: KINDS,
        agents: AGENTS,
        random,
        until: performance.now() + 30_000,
        onAck: () => warm(),
        closeChance: CLOSE_CHANCE,
        onClosed: (sid) => {
          const k = slots.indexOf(sid);
          if (k >= 0) slots[k] = `${label}-s${generation++}`;
          closedNow.push(sid);
          stats.closed++;
        },
      });
      await Promise.race([answered, sleep(10_000)]);
      let mark = lap('warm', started);
      await sleep(runMs);
      // One stop in ten is a SIGTERM (graceful shutdown: in-flight requests finish, the store is
      // flushed, the WAL checkpointed) cut short by kill -9 (a supervisor's stop timeout).
      const viaTerm = random() < 0.1;
      if (viaTerm) {
        stats.termKills++;
        server.child.kill('SIGTERM');
        await sleep(Math.floor(random() * 300));
      }
      const exit = await server.kill9();
      stats.sent += await load;
      mark = lap('load', mark);
      assert.ok(
        exit.signal === 'SIGKILL' || (viaTerm && exit.code !== null && exit.code <= 1),
        `${where(i)}: ended by ${describeExit(exit)}:\n${server.output()}`,
      );

      let state = await crashState(w).catch((x: unknown) => {
        throw new Error(`${where(i)}: the WAL after kill -9: ${(x as Error).message}`);
      });
      if (state.tornTail) stats.tornTails++;
      // One restart in ten is killed too, at a random moment of its startup (recovery).
      if (random() < 0.1) {
        stats.startupKills++;
        const early = Server.start(w.configPath);
        await sleep(Math.floor(random() * 1200));
        await early.kill9();
        state = await crashState(w);
      }

      mark = lap('inspect', mark);
      server = Server.start(w.configPath);
      base = await server.ready();
      const recovery = await server.walRecovery();
      mark = lap('restart', mark);
      assert.deepEqual(
        [recovery.records, recovery.applied, recovery.skipped, recovery.kept],
        [state.records, state.toApply, state.records - state.toApply, 0],
        `${where(i)}: recovery [records, applied, skipped, kept]`,
      );
      stats.replayed += recovery.applied;
      const problems = await verifySessions(base, ledger, [...slots, ...closedNow]);
      assert.deepEqual(problems, [], `${where(i)}: sessions after the restart`);
      closedNow.length = 0;
      await assertWalClean(w);

      // Retire long sessions (closed, so startup no longer loads them; still checked at the end).
      for (const [k, sid] of slots.entries()) {
        if ((ledger.sessions.get(sid)?.size ?? 0) < RETIRE_AFTER) continue;
        const closed = await ledger.close(base, sid);
        assert.equal(closed, 'ack', `${where(i)}: closing ${sid}`);
        slots[k] = `${label}-s${generation++}`;
        stats.retired++;
      }
      lap('check', mark);
      stats.iterationMs.push(performance.now() - started);
    }
    // Every session ever used, closed ones included (their stored facts), one last time.
    assert.deepEqual(await verifySessions(base, ledger), [], `${label}: seed ${seed}, final check`);
    assert.deepEqual(await auditProblems(w, ledger), [], `${label}: seed ${seed}, audit log`);
    stats.acknowledged = ledger.count('ack');
    t.diagnostic(
      `${label}: ${ledger.total()} requests (${stats.acknowledged} acknowledged, ${ledger.count('applied')} unacknowledged but applied, ${ledger.count('absent')} absent), ${stats.replayed} records replayed, ${stats.tornTails} torn tails, ${stats.startupKills} restarts killed, ${stats.termKills} SIGTERMs cut short, ${stats.closed} sessions closed under load, ${stats.retired} retired`,
    );
  } finally {
    await server.kill9();
  }
  return stats;
}

function report(t: TestContext, label: string, s: LoopStats): void {
  const ms = [...s.iterationMs].sort((a, b) => a - b);
  if (ms.length === 0) return;
  const total = ms.reduce((a, b) => a + b, 0);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0;
  t.diagnostic(
    `${label}: ${ms.length} iterations in ${(total / 1000).toFixed(1)} s; per iteration mean ${(total / ms.length).toFixed(0)} ms, p50 ${q(0.5).toFixed(0)}, p90 ${q(0.9).toFixed(0)}, max ${q(1).toFixed(0)} ms (serve from ${SERVE_ENTRY.kind})`,
  );
  const phases = Object.entries(s.phaseMs).map(([k, v]) => `${k} ${(v / ms.length).toFixed(0)}`);
  t.diagnostic(`${label}: mean ms per iteration: ${phases.join(', ')}`);
}

const cluster = usePgCluster();

describe('kill -9 under load', () => {
  it(`SQLite sessions, ${ITERATIONS} iterations (seed ${SEED})`, {
    timeout: 60 * 60_000,
  }, async (t) => {
    if (ITERATIONS === 0) return t.skip('NAUTILUS_CRASH_ITERATIONS=0');
    t.diagnostic(`seed ${SEED} (rerun with NAUTILUS_CRASH_SEED=${SEED})`);
    const w = crashWorld({ mode: 'synchronous' });
    try {
      report(t, 'sqlite', await killLoop(t, w, ITERATIONS, SEED, 'sqlite'));
    } finally {
      w.cleanup();
    }
  });

  it(`SQLite sessions, async persistence, ${Math.ceil(ITERATIONS / 10)} iterations`, {
    timeout: 30 * 60_000,
  }, async (t) => {
    if (ITERATIONS === 0) return t.skip('NAUTILUS_CRASH_ITERATIONS=0');
    const w = crashWorld({ mode: 'async' });
    try {
      const n = Math.ceil(ITERATIONS / 10);
      report(t, 'sqlite-async', await killLoop(t, w, n, SEED + 1, 'async'));
    } finally {
      w.cleanup();
    }
  });

  it(`PostgreSQL sessions, ${PG_ITERATIONS} iterations`, { timeout: 30 * 60_000 }, async (t) => {
    if (PG_ITERATIONS === 0) return t.skip('NAUTILUS_CRASH_PG_ITERATIONS=0');
    if (cluster.cluster === undefined) return t.skip(cluster.skipReason);
    const url = new URL(cluster.cluster.databaseUrl);
    const name = `crash_${process.pid}`;
    const admin = new pg.Client(cluster.cluster.databaseUrl);
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    url.pathname = `/${name}`;
    const w = crashWorld({ mode: 'synchronous', sessionStore: pgSessionStore(url.toString()) });
    try {
      report(t, 'postgres', await killLoop(t, w, PG_ITERATIONS, SEED + 2, 'pg'));
    } finally {
      w.cleanup();
    }
  });
});
