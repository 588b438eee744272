// The behaviour every session store shares, run against each backend by store-<backend>.test.ts:
// round trips, version conflicts, closing, expiry listing, session locks, refused input, close.
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { NautilusError } from '../../src/errors.ts';
import type {
  SessionLockRelease,
  SessionRecord,
  SessionStatus,
  SessionStore,
} from '../../src/session/store/index.ts';

export interface ContractTarget {
  readonly name: string;
  /** A new, opened, empty store closed after the test; undefined when the backend is absent. */
  fresh(t: TestContext): Promise<SessionStore | undefined>;
  /** Why fresh() returned undefined. */
  skipReason(): string;
}

export const T0 = Date.parse('2026-03-01T09:00:00.000Z');
export const at = (seconds: number) => new Date(T0 + seconds * 1000);

export function saveAs(
  store: SessionStore,
  sessionId: string,
  expectedVersion: number,
  state: unknown,
  o: { status?: SessionStatus; walLsn?: number; now?: Date } = {},
): Promise<SessionRecord> {
  return store.save({
    sessionId,
    status: o.status ?? 'open',
    state,
    walLsn: o.walLsn ?? 0,
    expectedVersion,
    now: o.now ?? at(0),
  });
}

/** Asserts `p` rejects with a NautilusError of `code`; returns it. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<NautilusError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof NautilusError, `expected a NautilusError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

/** Increments state.n `rounds` times under lockSession; returns conflicts seen (expect none). */
export async function lockedIncrements(
  store: SessionStore,
  sessionId: string,
  rounds: number,
): Promise<number> {
  let conflicts = 0;
  for (let i = 0; i < rounds; i++) {
    const release = await store.lockSession(sessionId);
    try {
      const row = await store.load(sessionId);
      const n = (row?.state as { n: number } | undefined)?.n ?? 0;
      await saveAs(store, sessionId, row?.version ?? 0, { n: n + 1 });
    } catch (e) {
      if (e instanceof NautilusError && e.code === 'NAU_STORE_CONFLICT') conflicts++;
      else throw e;
    } finally {
      await release();
    }
  }
  return conflicts;
}

const RICH_STATE = {
  v: 1,
  text: 'naïve café — 日本語 — עברית — Ελληνικά — 🐚🧭',
  zwj: '👩‍💻 🏳️‍🌈',
  combining: 'e\u0301 vs é',
  control: 'tab\t newline\n quote" backslash\\ bell\u0007',
  lookalike: '\\u0000 is only text here',
  big: '123456789012345678901234567890',
  bigNegative: '-98765432109876543210',
  maxSafe: Number.MAX_SAFE_INTEGER,
  minSafe: Number.MIN_SAFE_INTEGER,
  fraction: -0.1,
  tiny: 1e-7,
  huge: 1.5e300,
  flags: [true, false, null],
  nested: { deep: { deeper: [[1, [2, [3, { four: 4 }]]], {}, []] } },
  empty: { obj: {}, arr: [], str: '' },
  keys: { ключ: 1, '': 2, 'a.b': 3, $1: 4, 'with space': 5, '🐚': 6 },
  facts: [{ template: 'session_exposure', slots: { session_id: 's', data_types: ['pii', 'hr'] } }],
};

export function storeContract(target: ContractTarget): void {
  describe(`${target.name} store: shared contract`, () => {
    const open = async (t: TestContext) => {
      const store = await target.fresh(t);
      if (store === undefined) t.skip(target.skipReason());
      return store;
    };

    test('unknown sessions load as null; a first save creates version 1', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      assert.equal(await store.load('nobody'), null);
      const rec = await saveAs(store, 'a', 0, { n: 1 }, { walLsn: 7, now: at(5) });
      const expected: SessionRecord = {
        sessionId: 'a',
        status: 'open',
        state: { n: 1 },
        version: 1,
        walLsn: 7,
        createdAt: at(5).toISOString(),
        updatedAt: at(5).toISOString(),
        closedAt: null,
      };
      assert.deepEqual(rec, expected);
      assert.deepEqual(await store.load('a'), expected);
      assert.equal(store.backend, target.name);
    });

    test('nested JSON state round-trips: unicode, big numbers as strings, odd keys', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      const state = structuredClone(RICH_STATE);
      const saved = await saveAs(store, 'rich/ünï:cødé@x', 0, state);
      assert.deepEqual(saved.state, RICH_STATE);
      // The store keeps its own copy: changing the caller's object afterwards changes nothing.
      state.nested.deep.deeper = [];
      (saved.state as { text: string }).text = 'changed';
      const loaded = await store.load('rich/ünï:cødé@x');
      assert.deepEqual(loaded?.state, RICH_STATE);
      const all = await store.loadAllOpen();
      assert.deepEqual(
        all.map((r) => r.state),
        [RICH_STATE],
      );
    });

    test('each save bumps the version, keeps createdAt, moves updatedAt; walLsn never decreases', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      await saveAs(store, 's', 0, { n: 1 }, { walLsn: 3, now: at(1) });
      const two = await saveAs(store, 's', 1, { n: 2 }, { walLsn: 9, now: at(2) });
      assert.equal(two.version, 2);
      assert.equal(two.walLsn, 9);
      // A save without WAL information (0) or with an older LSN keeps the highest one.
      const three = await saveAs(store, 's', 2, { n: 3 }, { walLsn: 0, now: at(3) });
      assert.equal(three.walLsn, 9);
      const four = await saveAs(store, 's', 3, { n: 4 }, { walLsn: 5, now: at(4) });
      const loaded = await store.load('s');
      assert.deepEqual(loaded, four);
      assert.deepEqual(
        [four.version, four.walLsn, four.createdAt, four.updatedAt],
        [4, 9, at(1).toISOString(), at(4).toISOString()],
      );
      const large = await saveAs(store, 's', 4, { n: 5 }, { walLsn: 2 ** 53 - 1, now: at(5) });
      assert.equal(large.walLsn, 2 ** 53 - 1);
      assert.equal((await store.load('s'))?.walLsn, 2 ** 53 - 1);
    });

    test('a stale expectedVersion is NAU_STORE_CONFLICT naming both versions; nothing is written', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      await saveAs(store, 's', 0, { n: 1 });
      await saveAs(store, 's', 1, { n: 2 }, { now: at(1) });
      const e = await rejectsWith(
        saveAs(store, 's', 1, { n: 99 }, { now: at(9) }),
        'NAU_STORE_CONFLICT',
      );
      assert.equal(e.status, 409);
      assert.match(e.message, /session s\b/);
      assert.match(e.message, /expected version 1/);
      assert.match(e.message, /version 2/);
      assert.deepEqual(
        { ...e.detail },
        { session_id: 's', expected_version: 1, actual_version: 2 },
      );
      await rejectsWith(saveAs(store, 's', 3, { n: 99 }), 'NAU_STORE_CONFLICT');
      const row = await store.load('s');
      assert.deepEqual(
        [row?.version, row?.state, row?.updatedAt],
        [2, { n: 2 }, at(1).toISOString()],
      );
    });

    test('two first saves (expectedVersion 0) cannot both win', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      await saveAs(store, 'dup', 0, { who: 'first' });
      const e = await rejectsWith(saveAs(store, 'dup', 0, { who: 'second' }), 'NAU_STORE_CONFLICT');
      assert.match(e.message, /expected it not to exist yet, but it is at version 1/);
      // Racing first saves: exactly one is written.
      const results = await Promise.allSettled(
        [1, 2, 3, 4, 5].map((i) => saveAs(store, 'race', 0, { who: i })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results)
        if (r.status === 'rejected')
          assert.equal((r.reason as NautilusError).code, 'NAU_STORE_CONFLICT');
      const winner = (won[0] as PromiseFulfilledResult<SessionRecord>).value;
      assert.deepEqual((await store.load('race'))?.state, winner.state);
      assert.deepEqual((await store.load('dup'))?.state, { who: 'first' });
    });

    test('saving a missing session with expectedVersion > 0 is a conflict (found none)', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      const e = await rejectsWith(saveAs(store, 'ghost', 4, {}), 'NAU_STORE_CONFLICT');
      assert.match(e.message, /expected version 4, but it does not exist/);
      assert.equal(await store.load('ghost'), null);
    });

    test('closing sets closedAt once; loadAllOpen returns only open sessions, oldest first', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      await saveAs(store, 'c', 0, { n: 1 }, { now: at(3) });
      await saveAs(store, 'a', 0, { n: 1 }, { now: at(1) });
      await saveAs(store, 'b', 0, { n: 1 }, { now: at(2) });
      const closed = await saveAs(store, 'a', 1, { n: 2 }, { status: 'closed', now: at(10) });
      assert.equal(closed.status, 'closed');
      assert.equal(closed.closedAt, at(10).toISOString());
      // Saving a closed session again keeps the first closedAt.
      const again = await saveAs(store, 'a', 2, { n: 3 }, { status: 'closed', now: at(20) });
      assert.equal(again.closedAt, at(10).toISOString());
      assert.equal(again.updatedAt, at(20).toISOString());
      assert.deepEqual(await store.load('a'), again);
      const open_ = await store.loadAllOpen();
      assert.deepEqual(
        open_.map((r) => [r.sessionId, r.status, r.closedAt]),
        [
          ['b', 'open', null],
          ['c', 'open', null],
        ],
      );
    });

    test('listExpired: open sessions last saved strictly before the cutoff, oldest first', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      await saveAs(store, 'old', 0, {}, { now: at(10) });
      await saveAs(store, 'older', 0, {}, { now: at(5) });
      await saveAs(store, 'edge', 0, {}, { now: at(20) });
      await saveAs(store, 'fresh', 0, {}, { now: at(30) });
      await saveAs(store, 'gone', 0, {}, { now: at(1) });
      await saveAs(store, 'gone', 1, {}, { status: 'closed', now: at(2) });
      await saveAs(store, 'touched', 0, {}, { now: at(0) });
      await saveAs(store, 'touched', 1, {}, { now: at(25) });
      assert.deepEqual(await store.listExpired(at(20)), ['older', 'old']);
      assert.deepEqual(await store.listExpired(at(26)), ['older', 'old', 'edge', 'touched']);
      assert.deepEqual(await store.listExpired(at(0)), []);
      await rejectsWith(store.listExpired(new Date(Number.NaN)), 'NAU_STORE_INVALID');
    });

    test('lockSession: FIFO per session, other sessions unaffected, release idempotent', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      const first = await store.lockSession('s');
      const order: number[] = [];
      const waiters = [1, 2, 3].map((i) =>
        store.lockSession('s').then((release) => {
          order.push(i);
          return release;
        }),
      );
      // Another session is not blocked by s.
      const other = await store.lockSession('other');
      await other();
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(order, [], 'nobody gets s while it is held');
      await first();
      await first(); // a second call must not hand the lock to another waiter
      const r1 = await waiters[0]!;
      assert.deepEqual(order, [1]);
      await r1();
      const r2 = await waiters[1]!;
      assert.deepEqual(order, [1, 2]);
      await r2();
      const r3 = await waiters[2]!;
      assert.deepEqual(order, [1, 2, 3]);
      await r3();
      // Free again.
      const last = await store.lockSession('s');
      await last();
    });

    test('concurrent read-modify-write under lockSession loses no increment', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      const conflicts = await Promise.all(
        [1, 2, 3, 4].map(() => lockedIncrements(store, 'ctr', 10)),
      );
      assert.deepEqual(conflicts, [0, 0, 0, 0]);
      const row = await store.load('ctr');
      assert.deepEqual([row?.state, row?.version], [{ n: 40 }, 40]);
    });

    test('refuses state JSON cannot carry, naming the place; nothing is written', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      const nul = await rejectsWith(
        saveAs(store, 'bad', 0, { facts: [{ slots: { purpose: 'a\u0000b' } }] }),
        'NAU_STORE_INVALID',
      );
      assert.match(nul.message, /state\["facts"\]\[0\]\["slots"\]\["purpose"\]/);
      const surrogateKey = await rejectsWith(
        saveAs(store, 'bad', 0, { ok: 1, 'x\ud800': true }),
        'NAU_STORE_INVALID',
      );
      assert.match(surrogateKey.message, /\(the key\)/);
      await rejectsWith(saveAs(store, 'bad', 0, ['\udc00']), 'NAU_STORE_INVALID');
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      const cyc = await rejectsWith(saveAs(store, 'bad', 0, cyclic), 'NAU_STORE_INVALID');
      assert.match(cyc.message, /not JSON-serializable/);
      await rejectsWith(saveAs(store, 'bad', 0, { n: 10n }), 'NAU_STORE_INVALID');
      await rejectsWith(saveAs(store, 'bad', 0, undefined), 'NAU_STORE_INVALID');
      assert.equal(await store.load('bad'), null);
      // A well-formed surrogate pair (an emoji) is fine.
      await saveAs(store, 'good', 0, { e: '\ud83d\udc1a' });
      assert.deepEqual((await store.load('good'))?.state, { e: '🐚' });
    });

    test('refuses malformed requests with NAU_STORE_INVALID', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      const base = {
        sessionId: 'm',
        status: 'open' as const,
        state: {},
        walLsn: 0,
        expectedVersion: 0,
        now: at(0),
      };
      const cases: [string, Record<string, unknown>][] = [
        ['expectedVersion', { expectedVersion: -1 }],
        ['expectedVersion', { expectedVersion: 1.5 }],
        ['walLsn', { walLsn: Number.NaN }],
        ['walLsn', { walLsn: 2 ** 53 }],
        ['status', { status: 'archived' }],
        ['now', { now: new Date('nope') }],
        ['sessionId', { sessionId: '' }],
        ['sessionId', { sessionId: 'x'.repeat(513) }],
        ['sessionId', { sessionId: 'nul\u0000id' }],
      ];
      for (const [field, patch] of cases) {
        const e = await rejectsWith(
          store.save({ ...base, ...patch } as never),
          'NAU_STORE_INVALID',
        );
        assert.equal(e.detail.field, field, e.message);
      }
      assert.equal(await store.load('m'), null);
      await rejectsWith(store.load(''), 'NAU_STORE_INVALID');
    });

    test('after close(): calls fail with NAU_STORE_UNAVAILABLE, queued lockers are refused, health says so', async (t) => {
      const store = await open(t);
      if (store === undefined) return;
      assert.equal((await store.health()).ok, true);
      await saveAs(store, 's', 0, {});
      const held = await store.lockSession('s');
      const queued = store.lockSession('s');
      await store.close();
      await rejectsWith(queued, 'NAU_STORE_UNAVAILABLE');
      await held(); // releasing after close is harmless
      const e = await rejectsWith(store.load('s'), 'NAU_STORE_UNAVAILABLE');
      assert.equal(e.status, 503);
      assert.match(e.message, /closed/);
      await rejectsWith(saveAs(store, 's', 1, {}), 'NAU_STORE_UNAVAILABLE');
      await rejectsWith(store.lockSession('s'), 'NAU_STORE_UNAVAILABLE');
      await rejectsWith(store.loadAllOpen(), 'NAU_STORE_UNAVAILABLE');
      await rejectsWith(store.listExpired(at(0)), 'NAU_STORE_UNAVAILABLE');
      await rejectsWith(store.open(), 'NAU_STORE_UNAVAILABLE');
      const h = await store.health();
      assert.equal(h.ok, false);
      assert.match(h.detail ?? '', /closed/);
      await store.close(); // twice is fine
    });
  });
}

/**
 * Increments state.n `rounds` times without any lock, retrying on NAU_STORE_CONFLICT (optimistic
 * concurrency); returns how many conflicts it met.
 */
export async function optimisticIncrements(
  store: SessionStore,
  sessionId: string,
  rounds: number,
): Promise<number> {
  let conflicts = 0;
  for (let i = 0; i < rounds; ) {
    const row = await store.load(sessionId);
    const n = (row?.state as { n: number } | undefined)?.n ?? 0;
    try {
      await saveAs(store, sessionId, row?.version ?? 0, { n: n + 1 });
      i++;
    } catch (e) {
      if (!(e instanceof NautilusError) || e.code !== 'NAU_STORE_CONFLICT') throw e;
      conflicts++;
    }
    // Let the other writers interleave between read and write.
    await new Promise((r) => setImmediate(r));
  }
  return conflicts;
}

export type { SessionLockRelease };
