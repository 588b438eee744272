// The PostgreSQL store against the shared contract on a real throwaway cluster (a fresh database
// per test), plus: schema and parameters, two stores (two pools = two processes) sharing one
// database, the advisory lock across processes, a lock holder that dies, lock_timeout, racing
// migrations, a newer schema, credentials kept out of errors, and the server stopping mid-run.
// Skips, visibly, when PostgreSQL is not installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import pg from 'pg';
import {
  PG_MIGRATIONS,
  PostgresSessionStore,
  type PostgresSessionStoreOptions,
  sessionLockKey,
} from '../../src/session/store/index.ts';
import { type PgTestCluster, usePgCluster } from '../helpers/pg.ts';
import {
  at,
  lockedIncrements,
  optimisticIncrements,
  rejectsWith,
  saveAs,
  storeContract,
} from './store-contract.ts';

let admin: pg.Client | undefined;
const cluster = usePgCluster({
  setup: async (c) => {
    admin = new pg.Client(c.databaseUrl);
    admin.on('error', () => {});
    await admin.connect();
  },
  teardown: async () => {
    await admin?.end().catch(() => {});
  },
});

let dbCount = 0;
/** A new empty database on the cluster; returns its DSN. */
async function freshDatabase(c: PgTestCluster): Promise<string> {
  const name = `store_${process.pid}_${++dbCount}`;
  await admin!.query(`CREATE DATABASE ${name}`);
  const url = new URL(c.databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function newStore(
  t: TestContext,
  dsn: string,
  options: Omit<PostgresSessionStoreOptions, 'dsn'> = {},
): Promise<PostgresSessionStore> {
  const store = new PostgresSessionStore({ ...options, dsn });
  t.after(() => store.close());
  await store.open();
  return store;
}

/** The cluster, or undefined after a visible skip. */
function needCluster(t: TestContext): PgTestCluster | undefined {
  if (cluster.cluster === undefined) t.skip(cluster.skipReason);
  return cluster.cluster;
}

async function query<R extends pg.QueryResultRow>(
  dsn: string,
  sql: string,
  params: unknown[] = [],
) {
  const client = new pg.Client(dsn);
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Polls until `check` is true (a bounded wait for a server-side state, not a timing assertion). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`gave up waiting for: ${what}`);
}

const advisoryWaiters = async (dsn: string) =>
  Number(
    (
      await query<{ n: string }>(
        dsn,
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      )
    )[0]?.n,
  );

storeContract({
  name: 'postgres',
  async fresh(t) {
    const c = cluster.cluster;
    if (c === undefined) return undefined;
    return newStore(t, await freshDatabase(c));
  },
  skipReason: () => cluster.skipReason,
});

describe('postgres store: schema', () => {
  test('tables, migration rows, JSONB state, and values passed only as parameters', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const store = await newStore(t, dsn);
    const nasty = `x'); DROP TABLE nautilus_sessions; --`;
    await saveAs(store, nasty, 0, { note: `it's "quoted" $1 \\`, n: 1 }, { walLsn: 3 });
    assert.deepEqual((await store.load(nasty))?.state, { note: `it's "quoted" $1 \\`, n: 1 });
    const columns = await query<{ column_name: string; data_type: string }>(
      dsn,
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = 'nautilus_sessions' ORDER BY ordinal_position`,
    );
    assert.deepEqual(
      columns.map((r) => `${r.column_name} ${r.data_type}`),
      [
        'session_id text',
        'status text',
        'state jsonb',
        'version bigint',
        'wal_lsn bigint',
        'created_at timestamp with time zone',
        'updated_at timestamp with time zone',
        'closed_at timestamp with time zone',
      ],
    );
    const rows = await query<{ n: number; wal_lsn: string }>(
      dsn,
      "SELECT (state->>'n')::int AS n, wal_lsn::text AS wal_lsn FROM nautilus_sessions WHERE session_id = $1",
      [nasty],
    );
    assert.deepEqual(rows, [{ n: 1, wal_lsn: '3' }]);
    const migrations = await query<{ version: number; name: string }>(
      dsn,
      'SELECT version, name FROM nautilus_schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      migrations,
      PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
  });

  test('several stores opening one new database at once apply each migration exactly once', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const stores = [1, 2, 3, 4, 5].map(() => new PostgresSessionStore({ dsn }));
    for (const s of stores) t.after(() => s.close());
    await Promise.all(stores.map((s) => s.open()));
    const rows = await query<{ version: number }>(
      dsn,
      'SELECT version FROM nautilus_schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows.map((r) => r.version),
      PG_MIGRATIONS.map((m) => m.version),
    );
    await saveAs(stores[0]!, 's', 0, { n: 1 });
    assert.equal((await stores[4]!.load('s'))?.version, 1);
  });

  test('a database with a newer schema is refused (NAU_STORE_SCHEMA_TOO_NEW), untouched', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const first = await newStore(t, dsn);
    await saveAs(first, 's', 0, { n: 1 });
    await first.close();
    await query(dsn, "INSERT INTO nautilus_schema_migrations (version, name) VALUES (9, 'future')");
    const newer = new PostgresSessionStore({ dsn });
    t.after(() => newer.close());
    const e = await rejectsWith(newer.open(), 'NAU_STORE_SCHEMA_TOO_NEW');
    assert.match(e.message, /schema version 9, but this Nautilus knows versions up to 1/);
    assert.equal((await newer.health()).ok, false);
    const left = await query<{ n: string }>(
      dsn,
      'SELECT count(*)::text AS n FROM nautilus_sessions',
    );
    assert.deepEqual(left, [{ n: '1' }]);
  });

  test('synchronous_commit off is raised to on for the store; stronger settings are kept', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    // The test cluster runs with synchronous_commit=off server-wide.
    const dsn = await freshDatabase(c);
    const forced = await newStore(t, dsn);
    assert.deepEqual(await forced.settings(), {
      synchronousCommit: 'on',
      schemaVersion: PG_MIGRATIONS.length,
    });
    const asIs = await newStore(t, dsn, { forceSynchronousCommit: false });
    assert.equal((await asIs.settings()).synchronousCommit, 'off');
    const dbName = new URL(dsn).pathname.slice(1);
    await admin!.query(`ALTER DATABASE ${dbName} SET synchronous_commit = remote_apply`);
    const strong = await newStore(t, dsn);
    assert.equal((await strong.settings()).synchronousCommit, 'remote_apply');
  });

  test('credentials never appear in errors', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const url = new URL(c.databaseUrl);
    url.username = 'no_such_role';
    url.password = 'S3cret-Pa55word';
    const store = new PostgresSessionStore({ dsn: url.toString() });
    t.after(() => store.close());
    const e = await rejectsWith(store.open(), 'NAU_STORE_UNAVAILABLE');
    assert.match(e.message, /authentication failed \(SQLSTATE 28000\)/);
    const shown = `${e.message} ${JSON.stringify(e)} ${(await store.health()).detail}`;
    assert.equal(shown.includes('S3cret'), false, shown);
    assert.equal(shown.includes('no_such_role'), false, shown);
  });
});

describe('postgres store: two stores sharing one database (two processes)', () => {
  test('a stale writer in the other process gets NAU_STORE_CONFLICT', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const a = await newStore(t, dsn);
    const b = await newStore(t, dsn);
    await saveAs(a, 's', 0, { by: 'a' });
    const seen = await b.load('s');
    await saveAs(a, 's', 1, { by: 'a again' });
    const e = await rejectsWith(
      saveAs(b, 's', seen?.version ?? 0, { by: 'b' }),
      'NAU_STORE_CONFLICT',
    );
    assert.deepEqual({ ...e.detail }, { session_id: 's', expected_version: 1, actual_version: 2 });
    assert.deepEqual((await a.load('s'))?.state, { by: 'a again' });
  });

  test('concurrent read-modify-write loops under lockSession lose no increment and never conflict', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const a = await newStore(t, dsn);
    const b = await newStore(t, dsn);
    const conflicts = await Promise.all([
      lockedIncrements(a, 'ctr', 15),
      lockedIncrements(a, 'ctr', 15),
      lockedIncrements(a, 'ctr', 15),
      lockedIncrements(b, 'ctr', 15),
      lockedIncrements(b, 'ctr', 15),
      lockedIncrements(b, 'ctr', 15),
    ]);
    assert.deepEqual(conflicts, [0, 0, 0, 0, 0, 0]);
    const row = await b.load('ctr');
    assert.deepEqual([row?.state, row?.version], [{ n: 90 }, 90]);
  });

  test('without the lock, version checks still lose no increment (conflicts are retried)', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const a = await newStore(t, dsn);
    const b = await newStore(t, dsn);
    await Promise.all([
      optimisticIncrements(a, 'ctr', 20),
      optimisticIncrements(a, 'ctr', 20),
      optimisticIncrements(b, 'ctr', 20),
      optimisticIncrements(b, 'ctr', 20),
    ]);
    const row = await a.load('ctr');
    assert.deepEqual([row?.state, row?.version], [{ n: 80 }, 80]);
  });

  test('the advisory lock blocks the other process until released; other sessions are free', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const a = await newStore(t, dsn);
    const b = await newStore(t, dsn);
    const events: string[] = [];
    const releaseA = await a.lockSession('s');
    const granted = await query<{ n: string }>(
      dsn,
      `SELECT count(*)::text AS n FROM pg_locks WHERE locktype = 'advisory' AND granted
          AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = ($1::bigint & x'ffffffffffffffff'::bigint)`,
      [sessionLockKey('s')],
    );
    assert.deepEqual(granted, [{ n: '1' }], 'the lock is keyed by the session id hash');
    const bWaits = b.lockSession('s').then((release) => {
      events.push('b acquired');
      return release;
    });
    await until('b waits for the advisory lock', async () => (await advisoryWaiters(dsn)) === 1);
    // Another session in the other process is not blocked.
    const other = await b.lockSession('t');
    await other();
    assert.equal(events.length, 0, 'b must still be waiting');
    await saveAs(a, 's', 0, { by: 'a' });
    events.push('a released');
    await releaseA();
    const releaseB = await bWaits;
    assert.deepEqual(events, ['a released', 'b acquired']);
    assert.deepEqual((await b.load('s'))?.state, { by: 'a' });
    await releaseB();
    assert.equal(await advisoryWaiters(dsn), 0);
  });

  test('a lock holder whose connection dies frees the lock; its release does not throw', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const a = await newStore(t, dsn);
    const b = await newStore(t, dsn);
    const releaseA = await a.lockSession('s');
    const holder = await query<{ pid: number }>(
      dsn,
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1",
    );
    assert.equal(holder.length, 1);
    const bWaits = b.lockSession('s');
    await until('b waits', async () => (await advisoryWaiters(dsn)) === 1);
    await query(dsn, 'SELECT pg_terminate_backend($1)', [holder[0]!.pid]);
    const releaseB = await bWaits;
    await releaseA(); // the connection is gone: release just cleans up
    await releaseB();
    const again = await a.lockSession('s');
    await again();
  });

  test('lockTimeoutMs: a lock held elsewhere for too long is NAU_STORE_UNAVAILABLE, and nothing stays stuck', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const a = await newStore(t, dsn);
    const b = await newStore(t, dsn, { lockTimeoutMs: 50 });
    const releaseA = await a.lockSession('s');
    const e = await rejectsWith(b.lockSession('s'), 'NAU_STORE_UNAVAILABLE');
    assert.match(e.message, /lock session s: .*lock_timeout \(SQLSTATE 55P03\)/);
    await releaseA();
    const releaseB = await b.lockSession('s');
    await releaseB();
  });

  test('close() while holding locks frees them on the server', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const a = await newStore(t, dsn);
    const b = await newStore(t, dsn);
    const releaseA = await a.lockSession('s');
    const bWaits = b.lockSession('s');
    await until('b waits', async () => (await advisoryWaiters(dsn)) === 1);
    await a.close();
    const releaseB = await bWaits;
    await releaseA();
    await releaseB();
  });
});

// Last: it stops and restarts the cluster's server.
describe('postgres store: the server stops mid-run', () => {
  function pgCtl(c: PgTestCluster, args: string[]): void {
    const env = Object.fromEntries(
      readFileSync(join(c.base, 'pg-test.env'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    ) as Record<string, string>;
    const r = spawnSync(
      'runuser',
      ['-u', env.PGOSUSER!, '--', join(env.PGBIN!, 'pg_ctl'), '-D', join(c.base, 'data'), ...args],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, `pg_ctl ${args.join(' ')} failed: ${r.stderr}`);
  }

  test('calls fail with NAU_STORE_UNAVAILABLE while it is down and succeed after it restarts', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const store = await newStore(t, dsn, { connectTimeoutMs: 1000 });
    const saved = await saveAs(store, 's', 0, { n: 1 });
    const held = await store.lockSession('held');
    pgCtl(c, ['-m', 'fast', '-w', 'stop']);
    try {
      const e = await rejectsWith(saveAs(store, 's', 1, { n: 2 }), 'NAU_STORE_UNAVAILABLE');
      assert.equal(e.status, 503);
      assert.match(e.message, /^the PostgreSQL session store: cannot save session s: /);
      assert.equal(e.message.includes(String(c.port)), false, e.message);
      await rejectsWith(store.load('s'), 'NAU_STORE_UNAVAILABLE');
      await rejectsWith(store.loadAllOpen(), 'NAU_STORE_UNAVAILABLE');
      await rejectsWith(store.listExpired(at(0)), 'NAU_STORE_UNAVAILABLE');
      await rejectsWith(store.lockSession('x'), 'NAU_STORE_UNAVAILABLE');
      const h = await store.health();
      assert.equal(h.ok, false);
      assert.match(h.detail ?? '', /cannot reach the database/);
      await held(); // its connection died with the server: releasing must not throw
    } finally {
      pgCtl(c, [
        '-l',
        join(c.base, 'server.log'),
        '-w',
        '-t',
        '30',
        '-o',
        `-c listen_addresses=127.0.0.1 -p ${c.port} -k ${c.base} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
        'start',
      ]);
    }
    await until('the store reports healthy again', async () => (await store.health()).ok);
    assert.deepEqual(await store.load('s'), saved);
    const next = await saveAs(store, 's', 1, { n: 2 });
    assert.equal(next.version, 2);
    const release = await store.lockSession('held');
    await release();
    // The admin client of this file lost its connection too; reconnect it for teardown.
    await admin?.end().catch(() => {});
    admin = new pg.Client(c.databaseUrl);
    admin.on('error', () => {});
    await admin.connect();
  });
});
