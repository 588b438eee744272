// Simulated power loss under the broker: the WAL runs on FaultFs, the session store is a real
// SQLite file. One workload (requests in several sessions, concurrent across sessions, one
// session closed halfway) yields a few hundred crash points: before a WAL file operation, the
// disk as a power cut would leave it (unsynced bytes dropped, kept, or an arbitrary subset of
// their sectors kept; unsynced directory changes reverted or not) together with the store as of
// that moment. A new broker restarts on each image and must find every acknowledged request's
// exposures and flags exactly once, no request partially applied, and a WAL that opens (a torn
// tail is cut). `async` persistence is the case the WAL exists for: the store lags the answers.
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import type { BrokerResponse } from '../../src/broker/index.ts';
import { type CrashOptions, FaultFs, seededRandom } from '../../src/wal/index.ts';
import type { SessionWorld } from './session-fixture.ts';
import {
  expectedReplay,
  restoreStore,
  StoreImages,
  sessionFacts,
  storePath,
  walFaultWorld,
} from './wal-fault-world.ts';

const SESSIONS = ['s0', 's1', 's2', 's3', 's4'];
/** Closed halfway through the run. */
const CLOSED = 'c0';
const COMBOS = [
  ['hr'],
  ['crm'],
  ['financial'],
  ['vulnerability'],
  ['hr', 'vulnerability'],
  ['support', 'financial'],
  ['marketing', 'vulnerability'],
  ['crm', 'support'],
];

interface Sent {
  readonly rid: string;
  readonly sid: string;
  /** Operations on the WAL's file system started before the answer arrived (null: none yet). */
  answeredAt: number | null;
  response: BrokerResponse | null;
}

interface CrashPoint {
  /** The crash happens just before this file operation (1-based) runs. */
  readonly op: number;
  readonly what: string;
  readonly crash: CrashOptions;
  readonly wal: FaultFs;
  readonly store: Buffer;
}

interface Run {
  readonly sent: Sent[];
  readonly closedAt: number | null;
  readonly points: CrashPoint[];
  readonly ops: number;
  /** Per session, the exposures and flags at the end of the run. */
  readonly final: Map<string, { exposures: string[]; flags: string[] }>;
}

function pickCrash(rnd: () => number): CrashOptions {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  return {
    unsynced: pick(['drop', 'random', 'random', 'keep'] as const),
    dirOps: pick(['drop', 'random', 'keep'] as const),
    fill: pick(['zero', 'garbage'] as const),
    seed: Math.floor(rnd() * 2 ** 31),
  };
}

/** Runs the workload once, keeping `wanted` crash points chosen uniformly among all operations. */
async function workload(
  w: SessionWorld,
  seed: number,
  rounds: number,
  wanted: number,
  fs: FaultFs,
  crash?: CrashOptions,
  awaitCheckpoint = false,
): Promise<Run> {
  const rnd = seededRandom(seed);
  const b = await w.open({ walFs: fs });
  const store = new StoreImages(storePath(w));
  let ops = 0;
  let sampled = 0;
  const points: CrashPoint[] = [];
  const rare: CrashPoint[] = [];
  fs.beforeOp = (op) => {
    ops++;
    const point = (): CrashPoint => {
      const c = crash ?? pickCrash(rnd);
      const what = `${op.op} ${basename(op.path)}`;
      return { op: ops, what, crash: c, wal: fs.crashImage(c), store: store.take() };
    };
    // Segment and directory changes (roll, checkpoint, lock) are few: each is a crash point.
    if (!['append', 'datasync', 'statfs', 'size', 'read'].includes(op.op)) {
      rare.push(point());
      return;
    }
    // The others by reservoir sampling: each is equally likely to be kept.
    sampled++;
    const slot = points.length < wanted ? points.length : Math.floor(rnd() * sampled);
    if (slot < wanted) points[slot] = point();
  };
  const sent: Sent[] = [];
  let closedAt: number | null = null;
  const send = (sid: string, agent: string, types: string[], rid: string) => {
    const s: Sent = { rid, sid, answeredAt: null, response: null };
    sent.push(s);
    return b.query(agent, { dataTypes: types }, { session_id: sid, request_id: rid }).then((r) => {
      s.answeredAt = ops;
      s.response = r;
    });
  };
  try {
    for (let round = 0; round < rounds; round++) {
      const sids = round < rounds / 2 ? [...SESSIONS, CLOSED] : SESSIONS;
      const calls: Promise<void>[] = [];
      for (const sid of sids) {
        const n = rnd() < 0.4 ? 2 : 1;
        for (let j = 0; j < n; j++) {
          const agent = rnd() < 0.25 ? 'bob' : 'alice';
          const types = COMBOS[Math.floor(rnd() * COMBOS.length)] as string[];
          calls.push(send(sid, agent, types, `r${round}-${sid}-${j}`));
        }
      }
      if (round === Math.floor(rounds / 2)) {
        calls.push(
          b.closeSession(CLOSED).then(() => {
            closedAt = ops;
          }),
        );
      }
      await Promise.all(calls);
    }
    if (awaitCheckpoint) {
      // Async persistence writes the store from a timer, and the WAL checkpoints after those
      // writes: let that happen inside the recorded run, or whether a checkpoint's file
      // operations are among the crash points depends on how loaded the machine is.
      const deadline = Date.now() + 5000;
      while (!rare.some((p) => p.what.startsWith('unlink wal-')) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const final = new Map<string, { exposures: string[]; flags: string[] }>();
    for (const sid of [...SESSIONS, CLOSED]) final.set(sid, await sessionFacts(b, sid));
    const all = [...points, ...rare].sort((x, y) => x.op - y.op);
    return { sent, closedAt, points: all, ops, final };
  } finally {
    fs.beforeOp = null;
    store.close();
    await b.close();
  }
}

/** `item@request` entries grouped by request, each list sorted. */
function byRequest(entries: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of entries) {
    const at = e.lastIndexOf('@');
    const rid = e.slice(at + 1);
    out.set(rid, [...(out.get(rid) ?? []), e.slice(0, at)].sort());
  }
  return out;
}

/** Every acknowledged request exactly as at the end of the run; others all or nothing. */
function checkSession(
  where: string,
  run: Run,
  op: number,
  sid: string,
  got: { status: string | null; exposures: string[]; flags: string[] },
): void {
  const final = run.final.get(sid);
  assert.ok(final !== undefined);
  const gotE = byRequest(got.exposures);
  const gotF = byRequest(got.flags);
  const wantE = byRequest(final.exposures);
  const wantF = byRequest(final.flags);
  const mine = run.sent.filter((s) => s.sid === sid);
  // Session-level flags (no request): derived from what the restored session holds.
  const sources = got.exposures.map((e) => e.slice(0, e.lastIndexOf('@')));
  const combined = sources.some((x) => x.startsWith('pii-')) && sources.includes('ledger');
  assert.deepEqual(
    gotF.get('') ?? [],
    combined ? ['pii-financial-combination'] : [],
    `${where}: session ${sid} flags of its own, with exposures ${sources.join(' ')}`,
  );
  gotF.delete('');
  for (const rid of [...gotE.keys(), ...gotF.keys()]) {
    assert.ok(
      mine.some((s) => s.rid === rid),
      `${where}: session ${sid} holds request ${rid}, never sent to it`,
    );
  }
  for (const s of mine) {
    const acked = s.answeredAt !== null && s.answeredAt < op;
    const present = gotE.has(s.rid) || gotF.has(s.rid);
    if (!acked && !present) continue;
    // Acknowledged, or present at all: exactly what the request did, each exposure once.
    const label = `${where}: session ${sid}, request ${s.rid} (${acked ? 'acknowledged' : 'not acknowledged'})`;
    assert.deepEqual(gotE.get(s.rid) ?? [], wantE.get(s.rid) ?? [], `${label}: exposures`);
    assert.deepEqual(gotF.get(s.rid) ?? [], wantF.get(s.rid) ?? [], `${label}: flags`);
  }
  if (sid === CLOSED && run.closedAt !== null && run.closedAt < op)
    assert.equal(got.status, 'closed', `${where}: the close of ${sid} was acknowledged`);
}

interface Restarted {
  readonly torn: boolean;
  readonly applied: number;
  /** With `recrashAt`: the disk and store of a second power cut during this restart. */
  readonly recrash: { readonly wal: FaultFs; readonly store: Buffer } | null;
}

/**
 * Restarts a broker on a crash image and checks every session. With `recrashAt`, the power is
 * cut again before the restart's n-th WAL file operation (recovery itself crashing).
 */
async function restart(
  w: SessionWorld,
  run: Run,
  p: CrashPoint,
  wal: FaultFs,
  store: Buffer,
  where: string,
  recrashAt?: number,
): Promise<Restarted> {
  const expected = await expectedReplay(w, wal, store);
  restoreStore(w, store);
  let recrash: Restarted['recrash'] = null;
  const images = recrashAt === undefined ? null : new StoreImages(storePath(w));
  let ops = 0;
  if (images !== null) {
    wal.beforeOp = () => {
      if (++ops === recrashAt) recrash = { wal: wal.crashImage(p.crash), store: images.take() };
    };
  }
  const b = await w.open({ walFs: wal }).catch((x: unknown) => {
    throw new Error(`${where}: the broker did not restart: ${(x as Error).message}`);
  });
  try {
    // Exactly once: recovery applied precisely the records the store lacked.
    const r = b.walRecovery;
    assert.deepEqual(
      { records: r?.records, applied: r?.applied, skipped: r?.skipped },
      { ...expected, skipped: expected.records - expected.applied },
      `${where}: recovery counts`,
    );
    for (const sid of [...SESSIONS, CLOSED])
      checkSession(where, run, p.op, sid, await sessionFacts(b, sid));
    const status = b.walStatus();
    assert.ok(status !== null);
    return {
      torn: status.recovery.tornTailBytes > 0,
      applied: b.walRecovery?.applied ?? 0,
      recrash,
    };
  } finally {
    wal.beforeOp = null;
    images?.close();
    await b.close();
  }
}

/** A disk whose fdatasync of WAL segments does nothing: the checker must notice (a control). */
class LyingDisk extends FaultFs {
  override async open(path: string, mode: 'read' | 'append' | 'create') {
    const h = await super.open(path, mode);
    const lie = basename(path).startsWith('wal-');
    return {
      append: h.append.bind(h),
      read: h.read.bind(h),
      datasync: lie ? async () => {} : h.datasync.bind(h),
      truncate: h.truncate.bind(h),
      size: h.size.bind(h),
      close: h.close.bind(h),
    };
  }
}

async function crashMatrix(
  mode: 'async' | 'synchronous',
  seed: number,
  rounds: number,
  n: number,
  disk: () => FaultFs = () => new FaultFs(),
  crash?: CrashOptions,
) {
  const w = walFaultWorld(`  mode: ${mode}\n  wal_segment_bytes: 65536`);
  try {
    const run = await workload(w, seed, rounds, n, disk(), crash, mode === 'async' && !crash);
    assert.ok(
      run.sent.every((s) => s.response !== null),
      'every request of the run was answered',
    );
    assert.ok(run.points.length >= n, `${run.points.length} crash points of ${run.ops}`);
    const rnd = seededRandom(seed + 1);
    const tally = { points: 0, torn: 0, applied: 0, recrashed: 0, failures: [] as string[] };
    for (const p of run.points) {
      const where = `crash before operation ${p.op}/${run.ops} (${p.what}), ${JSON.stringify(p.crash)}`;
      // One restart in eight crashes again during its own recovery, then restarts once more.
      const recrashAt = rnd() < 0.125 ? 1 + Math.floor(rnd() * 16) : undefined;
      try {
        const r = await restart(w, run, p, p.wal, p.store, where, recrashAt);
        tally.points++;
        if (r.torn) tally.torn++;
        tally.applied += r.applied;
        if (r.recrash !== null) {
          const again = `${where}, then again before operation ${recrashAt} of the restart`;
          await restart(w, run, p, r.recrash.wal, r.recrash.store, again);
          tally.recrashed++;
        }
      } catch (x) {
        tally.failures.push((x as Error).message);
      }
    }
    return { run, ...tally };
  } finally {
    w.cleanup();
  }
}

function summary(t: Awaited<ReturnType<typeof crashMatrix>>): string {
  return `${t.run.sent.length} requests, ${t.run.ops} file operations, ${t.points} crash points restarted (${t.recrashed} crashed again in recovery), ${t.torn} torn tails cut, ${t.applied} records replayed`;
}

describe('broker WAL under simulated power loss (FaultFs + SQLite store)', () => {
  it('async persistence: every acknowledged request survives, none is partial', async (c) => {
    const t = await crashMatrix('async', 7, 24, 150);
    c.diagnostic(summary(t));
    assert.deepEqual(t.failures.slice(0, 3), []);
    // The run exercised what it is meant to: segments rolled and checkpointed, torn tails cut,
    // records replayed that the store had missed, recoveries crashed and repeated.
    assert.ok(
      t.run.points.some((p) => p.what.startsWith('unlink wal-')),
      'crash in a checkpoint',
    );
    assert.ok(t.torn > 0, 'some restarts cut a torn tail');
    assert.ok(t.applied > 0, 'some restarts replayed records the store lacked');
    assert.ok(t.recrashed > 0, 'some recoveries crashed and ran again');
  });

  it('synchronous persistence: the same holds', async (c) => {
    const t = await crashMatrix('synchronous', 11, 10, 60);
    c.diagnostic(summary(t));
    assert.deepEqual(t.failures.slice(0, 3), []);
    assert.ok(t.torn > 0, 'some restarts cut a torn tail');
    assert.ok(t.applied > 0, 'some restarts replayed records the store lacked');
  });

  it('catches a disk whose fdatasync does nothing (the checker can fail)', async () => {
    const t = await crashMatrix('async', 5, 8, 20, () => new LyingDisk(), { unsynced: 'drop' });
    assert.ok(t.failures.length > 0, 'acknowledged requests were lost and noticed');
    for (const f of t.failures) assert.match(f, /\(acknowledged\): (exposures|flags)/);
  });
});
