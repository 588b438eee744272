// The failpoint matrix (docs/wal.md, "Failpoints"): a real `nautilus serve` (WAL on, SQLite
// sessions) kills itself at each named step while clients send session requests; after a
// restart, every acknowledged request is there exactly once, nothing is partly applied, and
// recovery applied exactly the records the store was missing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAILPOINT_NAMES, parseFailpoint } from '../../src/failpoint.ts';
import { drive } from './drive.ts';
import {
  assertWalClean,
  auditProblems,
  type CrashState,
  crashState,
  crashWorld,
  describeExit,
  Ledger,
  SERVE_ENTRY,
  Server,
  seeded,
  verifySessions,
  walDirOf,
} from './harness.ts';

interface Case {
  /** NAUTILUS_FAILPOINT of the run that crashes. */
  readonly failpoint: string;
  readonly mode: 'synchronous' | 'async';
  /** For `recovery`: the failpoint that crashes the first run, leaving records to replay. */
  readonly first?: string;
  /** Stop the server with SIGTERM after this many concurrent requests (a crash at shutdown). */
  readonly sigtermAfter?: number;
  /** What the crash must leave behind. */
  readonly expect?: {
    readonly tornTail?: boolean;
    /** At least one record the store does not hold. */
    readonly toApply?: boolean;
    /** The first segment was deleted (a checkpoint got that far). */
    readonly segmentDeleted?: boolean;
  };
}

const CASES: readonly Case[] = [
  { failpoint: 'wal-before-write:12', mode: 'synchronous', expect: { tornTail: false } },
  { failpoint: 'wal-half-write:12', mode: 'synchronous', expect: { tornTail: true } },
  // Written but not fdatasynced: the process died, the page cache did not.
  {
    failpoint: 'wal-before-sync:12',
    mode: 'synchronous',
    expect: { tornTail: false, toApply: true },
  },
  {
    failpoint: 'wal-after-sync:12',
    mode: 'synchronous',
    expect: { tornTail: false, toApply: true },
  },
  { failpoint: 'before-store-write:20', mode: 'synchronous', expect: { toApply: true } },
  { failpoint: 'before-response:20', mode: 'synchronous' },
  { failpoint: 'checkpoint:1', mode: 'synchronous', expect: { segmentDeleted: true } },
  // The shutdown checkpoint rolls the active segment, then dies before deleting the old one.
  { failpoint: 'checkpoint:1', mode: 'synchronous', sigtermAfter: 20 },
  { failpoint: 'recovery:1', mode: 'synchronous', first: 'wal-after-sync:12' },
  { failpoint: 'before-store-write:6', mode: 'async', expect: { toApply: true } },
  { failpoint: 'before-response:20', mode: 'async' },
  { failpoint: 'recovery:1', mode: 'async', first: 'before-store-write:6' },
];

const nameOf = (fp: string) => parseFailpoint(fp)?.name ?? fp;

/** Sends requests until the server kills itself at its failpoint; checks that it did. */
async function crashRun(
  server: Server,
  ledger: Ledger,
  seed: number,
  sigtermAfter?: number,
): Promise<void> {
  const base = await server.ready();
  const random = seeded(seed);
  // Sequential, one session: PII, then financial (a flag), then another agent's PII (denied,
  // but its routing raises a cross-agent flag the WAL record must carry).
  for (const [agent, kind] of [
    ['alice', 'hr'],
    ['alice', 'fin'],
    ['bob', 'crm'],
    ['alice', 'vuln'],
  ] as const) {
    if (server.exit !== null) break;
    await ledger.send(base, 'pii-1', agent, kind);
  }
  // Concurrent: four clients over six sessions (two requests of one session queue on its lock).
  await drive(server, base, ledger, {
    workers: 4,
    sessions: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'],
    kinds: ['vuln', 'fin', 'both'],
    agents: ['alice', 'bob'],
    random,
    maxRequests: sigtermAfter ?? 3000,
  });
  // A graceful stop (store flushed, WAL checkpointed) that dies at the failpoint on its way.
  if (sigtermAfter !== undefined) server.child.kill('SIGTERM');
  const exit = await Promise.race([
    server.exited,
    new Promise<null>((r) => setTimeout(() => r(null), 10_000)),
  ]);
  assert.ok(exit !== null, `failpoint ${server.failpoint} never fired:\n${server.output()}`);
  assert.equal(exit.signal, 'SIGKILL', `died by ${describeExit(exit)}:\n${server.output()}`);
  const name = nameOf(server.failpoint ?? '');
  assert.match(server.output(), new RegExp(`failpoint ${name} reached`));
}

function checkExpectations(c: Case, state: CrashState): void {
  const e = c.expect ?? {};
  if (e.tornTail !== undefined)
    assert.equal(state.tornTail, e.tornTail, `torn tail after ${c.failpoint}`);
  if (e.toApply) assert.ok(state.toApply > 0, `records left to replay after ${c.failpoint}`);
  if (e.segmentDeleted) {
    const first = state.scan.segments[0];
    assert.ok(first !== undefined && first.baseLsn > 1, 'the checkpoint deleted the first segment');
  }
}

describe(`failpoints (serve from ${SERVE_ENTRY.kind})`, () => {
  it('every name is covered by a case', () => {
    const covered = new Set(CASES.map((c) => nameOf(c.failpoint)));
    assert.deepEqual([...covered].sort(), [...FAILPOINT_NAMES].sort());
  });

  // NAUTILUS_CRASH_CASES=<regex>: run only the matching cases (while debugging).
  const only = process.env.NAUTILUS_CRASH_CASES;
  for (const [i, c] of CASES.entries()) {
    const title = `${c.failpoint} (${c.mode}${c.first === undefined ? '' : `, after ${c.first}`}${c.sigtermAfter === undefined ? '' : ', at shutdown'})`;
    if (only !== undefined && !new RegExp(only).test(title)) continue;
    it(title, { timeout: 180_000 }, async (t) => {
      const w = crashWorld({ mode: c.mode });
      const ledger = new Ledger(`fp${i}`);
      try {
        const isRecovery = nameOf(c.failpoint) === 'recovery';
        const first = Server.start(w.configPath, isRecovery ? (c.first ?? null) : c.failpoint);
        try {
          await crashRun(first, ledger, 1000 + i, c.sigtermAfter);
        } finally {
          await first.kill9();
        }
        let state = await crashState(w);
        t.diagnostic(
          `sent ${ledger.total()}, acknowledged ${ledger.count('ack')}; WAL ${state.records} records, ${state.toApply} to replay${state.tornTail ? ', torn tail' : ''}`,
        );
        checkExpectations(c, state);

        if (isRecovery) {
          assert.ok(state.toApply > 0, `${c.first} left records to replay`);
          const dying = Server.start(w.configPath, c.failpoint);
          const exit = await dying.exited;
          assert.equal(exit.signal, 'SIGKILL', `recovery run: ${describeExit(exit)}`);
          assert.match(dying.output(), /failpoint recovery reached/);
          const after = await crashState(w);
          assert.ok(
            after.toApply < state.toApply,
            `the recovery run stored some sessions before dying (${after.toApply} of ${state.toApply} left)`,
          );
          assert.equal(after.records, state.records, 'recovery died before its checkpoint');
          state = after;
        }

        const server = Server.start(w.configPath);
        try {
          const base = await server.ready();
          const recovery = await server.walRecovery();
          assert.equal(recovery.records, state.records, 'recovery read every record');
          assert.equal(recovery.applied, state.toApply, 'recovery applied what the store missed');
          assert.equal(recovery.skipped, state.records - state.toApply);
          assert.equal(recovery.kept, 0);
          assert.deepEqual(await verifySessions(base, ledger), []);
          await assertWalClean(w);
          // The recovered server works: one more request per session, all acknowledged.
          for (const sid of ledger.sessions.keys()) {
            const s = await ledger.send(base, sid, 'alice', 'vuln');
            assert.equal(s.outcome, 'ack', `${sid} after the restart`);
          }
          assert.deepEqual(await verifySessions(base, ledger), []);
          assert.deepEqual(await auditProblems(w, ledger), []);
        } finally {
          const exit = await server.stop();
          assert.equal(exit.code, 0, `clean stop:\n${server.output()}`);
        }
        // A clean stop checkpoints everything the store holds: nothing is left to replay.
        const end = await crashState(w);
        assert.equal(end.toApply, 0);
        assert.equal(end.records, 0, `${walDirOf(w)} is checkpointed at shutdown`);
      } finally {
        w.cleanup();
      }
    });
  }
});
