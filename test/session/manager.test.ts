// SessionManager behaviour that the broker tests cannot reach directly: TTL expiry when another
// process shares the store (two managers on one SQLite file, each with its own store and engine,
// stand for two broker processes), async writes that the store refuses for a while, and a store
// unavailable at startup. Real parts throughout: SQLite files, the built-in policy engine.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { loadPolicy } from '../../src/broker/policy-setup.ts';
import { PolicySessionEngine } from '../../src/broker/session-engine.ts';
import { configFromObject } from '../../src/config/index.ts';
import { NautilusError } from '../../src/errors.ts';
import {
  type PersistenceMode,
  SessionManager,
  type SessionManagerOptions,
} from '../../src/session/manager.ts';
import { requestOps, type SessionOp } from '../../src/session/ops.ts';
import { SqliteSessionStore } from '../../src/session/store/index.ts';
import { decodeState } from '../../src/session/stored-state.ts';

const root = mkdtempSync(join(tmpdir(), 'nautilus-manager-'));
after(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.parse('2026-11-25T12:00:00.000Z');
let dirCount = 0;

interface Node {
  readonly manager: SessionManager;
  readonly warnings: string[];
  readonly closed: Array<{ id: string; reason: string; facts: readonly SessionOp[] }>;
}

/** A shared clock and database file; `node()` builds one "process" on them. */
function cluster(ttlSeconds = 10) {
  const dir = join(root, `c${++dirCount}`);
  const path = join(dir, 'sessions.db');
  const clock = { now: new Date(T0) };
  const config = configFromObject({ sources: [] }, { dir });
  const node = async (
    mode: PersistenceMode = 'synchronous',
    extra: Partial<SessionManagerOptions> = {},
    storePath = path,
  ): Promise<Node> => {
    const warnings: string[] = [];
    const closed: Node['closed'] = [];
    const policy = loadPolicy(config, () => clock.now);
    const manager = new SessionManager({
      store: new SqliteSessionStore({ path: storePath, busyTimeoutMs: 50 }),
      engine: new PolicySessionEngine(policy.policy),
      ttlSeconds,
      mode,
      clock: () => clock.now,
      warn: (m) => warnings.push(m),
      onClosed: async (id, reason, facts) => {
        closed.push({ id, reason, facts });
      },
      ...extra,
    });
    await manager.start();
    return { manager, warnings, closed };
  };
  return { dir, path, clock, node };
}

/** One request's worth of ops: one exposure of `sourceId`. */
function ops(sessionId: string, requestId: string, sourceId: string, first = false): SessionOp[] {
  return requestOps({
    sessionId,
    requestId,
    agentId: 'alice',
    timestamp: T0 / 1000,
    exposures: [
      {
        sourceId,
        dataTypes: ['vulnerability'],
        classification: 'cui',
        fieldsReturned: ['id'],
        recordCount: 1,
        queryHash: `h-${requestId}`,
      },
    ],
    ...(first ? { openPurpose: 'audit' } : {}),
  });
}

const commit = (m: SessionManager, id: string, o: SessionOp[]) =>
  m.withSession(id, (s) => s.commit(o));

const exposureIds = (facts: readonly SessionOp[]) =>
  facts.filter((f) => f.template === 'session_exposure').map((f) => f.slots.request_id);

describe('TTL expiry with two processes on one store', () => {
  test('a session the other process closed is forgotten, not expired again', async () => {
    const c = cluster();
    const a = await c.node();
    const b = await c.node();
    try {
      await commit(a.manager, 's', ops('s', 'r1', 'vulns', true));
      await commit(b.manager, 's', ops('s', 'r2', 'vulns'));
      await b.manager.close('s');
      assert.equal(b.closed.length, 1);
      c.clock.now = new Date(T0 + 11_000);
      assert.equal(await a.manager.expireIdle(), 0);
      assert.deepEqual(a.warnings, []);
      assert.equal(a.closed.length, 0, 'the session_closed record was written once, by b');
      assert.equal(a.manager.size, 0, 'a no longer holds the closed session in working memory');
    } finally {
      await a.manager.shutdown();
      await b.manager.shutdown();
    }
  });

  test('a session the other process used recently is not idle; it expires once really idle', async () => {
    const c = cluster();
    const a = await c.node();
    const b = await c.node();
    try {
      await commit(a.manager, 's', ops('s', 'r1', 'vulns', true));
      c.clock.now = new Date(T0 + 8_000);
      await commit(b.manager, 's', ops('s', 'r2', 'vulns'));
      // Idle for 12 s as far as a saw it, 4 s in the store.
      c.clock.now = new Date(T0 + 12_000);
      assert.equal(await a.manager.expireIdle(), 0);
      assert.deepEqual(a.warnings, []);
      assert.deepEqual(exposureIds((await a.manager.info('s'))?.facts ?? []), ['r1', 'r2']);
      c.clock.now = new Date(T0 + 18_000);
      assert.equal(await a.manager.expireIdle(), 1);
      assert.deepEqual(a.warnings, []);
      assert.equal(a.closed.length, 1);
      assert.equal(a.closed[0]?.reason, 'expired');
      assert.deepEqual(exposureIds(a.closed[0]?.facts ?? []), ['r1', 'r2']);
      // b learns it is closed on its next use.
      await assert.rejects(
        commit(b.manager, 's', ops('s', 'r3', 'vulns')),
        (x: unknown) => x instanceof NautilusError && x.code === 'NAU_SESSION_CLOSED',
      );
    } finally {
      await a.manager.shutdown();
      await b.manager.shutdown();
    }
  });
});

describe('async mode: writes the store refuses stay queued', () => {
  test('acknowledged exposures survive a store outage and are saved once it recovers', async () => {
    const c = cluster();
    const a = await c.node('async', { retryDelayMs: 60_000 });
    let blocker: Database.Database | undefined;
    try {
      await commit(a.manager, 's', ops('s', 'r1', 'vulns', true));
      await a.manager.flush();
      await commit(a.manager, 's', ops('s', 'r2', 'vulns'));
      // Another connection holds the write lock: the queued save fails after busy_timeout.
      blocker = new Database(c.path);
      blocker.exec('BEGIN IMMEDIATE');
      await a.manager.flush();
      assert.ok(
        a.warnings.some((w) => /stay queued and are retried/.test(w)),
        a.warnings.join('\n'),
      );
      // The next request still sees r2 (it was acknowledged), and adds r3.
      await commit(a.manager, 's', ops('s', 'r3', 'vulns'));
      assert.deepEqual(exposureIds((await a.manager.info('s'))?.facts ?? []), ['r1', 'r2', 'r3']);
      blocker.exec('ROLLBACK');
      await a.manager.flush();
    } finally {
      blocker?.close();
      await a.manager.shutdown();
    }
    const store = new SqliteSessionStore({ path: c.path });
    await store.open();
    try {
      const row = await store.load('s');
      assert.ok(row !== null);
      assert.deepEqual(exposureIds(decodeState(row.state)?.facts ?? []), ['r1', 'r2', 'r3']);
    } finally {
      await store.close();
    }
  });

  test('writes still refused at shutdown are reported as lost', async () => {
    const c = cluster();
    const a = await c.node('async', { retryDelayMs: 60_000 });
    const blocker = new Database(c.path);
    try {
      await commit(a.manager, 's', ops('s', 'r1', 'vulns', true));
      blocker.exec('BEGIN IMMEDIATE');
      await a.manager.shutdown();
      assert.ok(
        a.warnings.some((w) => /last writes of 1 session\(s\) are lost at shutdown/.test(w)),
        a.warnings.join('\n'),
      );
    } finally {
      blocker.close();
    }
  });
});

describe('a store unavailable at startup', () => {
  test('session calls fail closed with NAU_STORE_UNAVAILABLE (503)', async () => {
    const c = cluster();
    const file = join(root, `not-a-folder-${dirCount}`);
    writeFileSync(file, 'x');
    const a = await c.node('synchronous', {}, join(file, 'sessions.db'));
    try {
      assert.equal(a.manager.available, false);
      assert.match(
        a.warnings.join('\n'),
        /session store unavailable, session requests are refused/,
      );
      const unavailable = (x: unknown) =>
        x instanceof NautilusError && x.code === 'NAU_STORE_UNAVAILABLE' && x.status === 503;
      await assert.rejects(commit(a.manager, 's', ops('s', 'r1', 'vulns', true)), unavailable);
      await assert.rejects(a.manager.info('s'), unavailable);
      await assert.rejects(a.manager.close('s'), unavailable);
      assert.equal(await a.manager.expireIdle(), 0);
    } finally {
      await a.manager.shutdown();
    }
  });
});

describe('a stored session that does not fit the loaded policy', () => {
  test('is refused on its own (NAU_STORE_CORRUPT); the store and other sessions keep working', async () => {
    const c = cluster();
    const a = await c.node();
    await commit(a.manager, 'good', ops('good', 'r1', 'vulns', true));
    await commit(a.manager, 'old', ops('old', 'r2', 'vulns', true));
    await a.manager.shutdown();
    // As a row written under an older policy: a slot the loaded template does not have.
    const db = new Database(c.path);
    const row = db.prepare("SELECT state FROM sessions WHERE session_id = 'old'").get() as {
      state: string;
    };
    const state = decodeState(JSON.parse(row.state));
    assert.ok(state !== null);
    const exposure = state.facts.find((f) => f.template === 'session_exposure');
    assert.ok(exposure !== undefined);
    (exposure.slots as Record<string, unknown>).legacy_slot = 'x';
    const v1 = JSON.stringify({ v: 1, facts: state.facts, wal: state.wal });
    db.prepare("UPDATE sessions SET state = ? WHERE session_id = 'old'").run(v1);
    db.close();

    const b = await c.node();
    try {
      assert.equal(b.manager.available, true);
      assert.match(
        b.warnings.join('\n'),
        /session old: its stored facts do not fit the loaded policy \(.*legacy_slot.*\)/,
      );
      await assert.rejects(
        commit(b.manager, 'old', ops('old', 'r3', 'vulns')),
        (x: unknown) => x instanceof NautilusError && x.code === 'NAU_STORE_CORRUPT',
      );
      await commit(b.manager, 'good', ops('good', 'r4', 'vulns'));
      assert.deepEqual(exposureIds((await b.manager.info('good'))?.facts ?? []), ['r1', 'r4']);
      // Nothing of the refused session was left in working memory (all or nothing).
      assert.equal(b.manager.size, 1);
    } finally {
      await b.manager.shutdown();
    }
  });
});

describe('the stored state format', () => {
  const storedState = (path: string, id: string): { v: number; [k: string]: unknown } => {
    const db = new Database(path, { readonly: true });
    try {
      const row = db.prepare('SELECT state FROM sessions WHERE session_id = ?').get(id) as {
        state: string;
      };
      return JSON.parse(row.state);
    } finally {
      db.close();
    }
  };

  test('version 2 is written; a version 1 row is read and rewritten as version 2', async () => {
    const c = cluster();
    const a = await c.node();
    await commit(a.manager, 's', ops('s', 'r1', 'vulns', true));
    await commit(a.manager, 's', ops('s', 'r2', 'hosts'));
    const facts = (await a.manager.info('s'))?.facts ?? [];
    await a.manager.shutdown();
    const v2 = storedState(c.path, 's');
    assert.equal(v2.v, 2);
    // Slot names once per template, one positional row per fact, same facts in the same order.
    assert.deepEqual(Object.keys(v2.slots as object).sort(), [
      'session_exposure',
      'session_purpose',
      'session_summary',
    ]);
    assert.deepEqual(decodeState(v2)?.facts, facts);
    // The same session as a version 1 row (slot names in every fact).
    const db = new Database(c.path);
    db.prepare("UPDATE sessions SET state = ? WHERE session_id = 's'").run(
      JSON.stringify({ v: 1, facts, wal: {} }),
    );
    db.close();
    const b = await c.node();
    try {
      assert.deepEqual((await b.manager.info('s'))?.facts, facts);
      await commit(b.manager, 's', ops('s', 'r3', 'vulns'));
      assert.deepEqual(exposureIds((await b.manager.info('s'))?.facts ?? []), ['r1', 'r2', 'r3']);
    } finally {
      await b.manager.shutdown();
    }
    assert.equal(storedState(c.path, 's').v, 2);
  });

  test('a malformed version 2 row is refused on its own (NAU_STORE_CORRUPT)', async () => {
    const c = cluster();
    const a = await c.node();
    await commit(a.manager, 'bad', ops('bad', 'r1', 'vulns', true));
    await commit(a.manager, 'good', ops('good', 'r2', 'vulns', true));
    await a.manager.shutdown();
    const state = storedState(c.path, 'bad') as unknown as { facts: unknown[][] };
    (state.facts[0] as unknown[]).pop(); // one value short of its template's slot names
    const db = new Database(c.path);
    db.prepare("UPDATE sessions SET state = ? WHERE session_id = 'bad'").run(JSON.stringify(state));
    db.close();
    const b = await c.node();
    try {
      assert.match(b.warnings.join('\n'), /session bad: the stored state is not a Nautilus/);
      await assert.rejects(
        commit(b.manager, 'bad', ops('bad', 'r3', 'vulns')),
        (x: unknown) => x instanceof NautilusError && x.code === 'NAU_STORE_CORRUPT',
      );
      await commit(b.manager, 'good', ops('good', 'r4', 'vulns'));
    } finally {
      await b.manager.shutdown();
    }
  });
});

describe('WAL replay with two processes on one store (each with its own WAL)', () => {
  // a's WAL is "wal-a", b's "wal-b"; LSNs of different WALs say nothing about each other.
  const commitAt = (m: SessionManager, id: string, o: SessionOp[], lsn: number) =>
    m.withSession(id, (s) => s.commit(o, lsn));
  const replay = (m: SessionManager, sid: string, lsn: number, o: SessionOp[]) =>
    m.replay({ lsn, sid, ts: T0, ops: o });

  test('a record the row holds is skipped even after the other process wrote the row', async () => {
    const c = cluster();
    const a = await c.node();
    const b = await c.node();
    try {
      a.manager.attachWal('wal-a');
      b.manager.attachWal('wal-b');
      const r1 = ops('s', 'r1', 'vulns', true);
      await commitAt(a.manager, 's', r1, 1);
      // b's WAL is further along than a's: a single LSN per row would now say 5.
      await commitAt(b.manager, 's', ops('s', 'r2', 'vulns'), 5);
      await a.manager.shutdown();
      // a restarts; its WAL holds record 1 (stored) and record 2 (never stored: a crashed).
      const a2 = await c.node();
      a2.manager.attachWal('wal-a');
      const r3 = ops('s', 'r3', 'vulns');
      assert.equal(await replay(a2.manager, 's', 1, r1), 'already-applied');
      assert.equal(await replay(a2.manager, 's', 2, r3), 'applied', "not hidden by b's LSN 5");
      assert.equal(await a2.manager.finishReplay(), 1);
      assert.deepEqual(exposureIds((await a2.manager.info('s'))?.facts ?? []), ['r1', 'r2', 'r3']);
      // b's next request sees a's replayed record, and keeps a's entry in the row.
      await commitAt(b.manager, 's', ops('s', 'r4', 'vulns'), 6);
      await a2.manager.shutdown();
      const a3 = await c.node();
      a3.manager.attachWal('wal-a');
      assert.equal(await replay(a3.manager, 's', 2, r3), 'already-applied');
      assert.equal(await a3.manager.finishReplay(), 0);
      assert.deepEqual(exposureIds((await a3.manager.info('s'))?.facts ?? []), [
        'r1',
        'r2',
        'r3',
        'r4',
      ]);
      await a3.manager.shutdown();
    } finally {
      await b.manager.shutdown();
    }
  });

  test('replay writes each session once, however many records it applies', async () => {
    const c = cluster();
    const a = await c.node();
    a.manager.attachWal('wal-a');
    await commitAt(a.manager, 's', ops('s', 'r1', 'vulns', true), 1);
    await a.manager.shutdown();
    const a2 = await c.node();
    try {
      a2.manager.attachWal('wal-a');
      for (let lsn = 2; lsn <= 6; lsn++) {
        assert.equal(await replay(a2.manager, 's', lsn, ops('s', `r${lsn}`, 'vulns')), 'applied');
      }
      assert.equal(await replay(a2.manager, 't', 7, ops('t', 'r7', 'vulns', true)), 'applied');
      assert.equal(await a2.manager.finishReplay(), 2);
      const db = new Database(c.path, { readonly: true });
      try {
        const rows = db
          .prepare('SELECT session_id, version, wal_lsn FROM sessions ORDER BY session_id')
          .all();
        assert.deepEqual(rows, [
          { session_id: 's', version: 2, wal_lsn: 6 },
          { session_id: 't', version: 1, wal_lsn: 7 },
        ]);
      } finally {
        db.close();
      }
      assert.deepEqual(exposureIds((await a2.manager.info('s'))?.facts ?? []), [
        'r1',
        'r2',
        'r3',
        'r4',
        'r5',
        'r6',
      ]);
    } finally {
      await a2.manager.shutdown();
    }
  });
});
