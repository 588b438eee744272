// createSessionStore (config -> store), the explicit memory fallback, and errors that must not
// leak a DSN's credentials (no PostgreSQL server needed: a closed port is enough).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { configFromObject } from '../../src/config/index.ts';
import {
  createSessionStore,
  KeyedFifoLock,
  MemorySessionStore,
  PostgresSessionStore,
  SqliteSessionStore,
  withMemoryFallback,
} from '../../src/session/store/index.ts';
import { rejectsWith, saveAs } from './store-contract.ts';

const root = mkdtempSync(join(tmpdir(), 'nautilus-store-factory-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('createSessionStore maps backend, path and dsn without doing any I/O', () => {
  const dataDir = join(root, 'data');
  assert.ok(createSessionStore({ backend: 'memory' }, { dataDir }) instanceof MemorySessionStore);
  const byDefault = createSessionStore({ backend: 'sqlite', path: null }, { dataDir });
  assert.ok(byDefault instanceof SqliteSessionStore);
  assert.equal(byDefault.path, join(dataDir, 'sessions.db'));
  const relative = createSessionStore({ backend: 'sqlite', path: 'x/s.db' }, { dataDir });
  assert.equal((relative as SqliteSessionStore).path, join(dataDir, 'x', 's.db'));
  const pgStore = createSessionStore(
    { backend: 'postgres', dsn: 'postgres://u:pw@127.0.0.1:1/db' },
    { dataDir, postgres: { poolSize: 2 } },
  );
  assert.ok(pgStore instanceof PostgresSessionStore);
  assert.equal(existsSync(dataDir), false, 'nothing is created before open()');
  assert.throws(
    () => createSessionStore({ backend: 'postgres', dsn: null }, { dataDir }),
    (e: Error & { code?: string }) =>
      e.code === 'NAU_STORE_CONFIG' && /session_store\.dsn is required/.test(e.message),
  );
  assert.throws(
    () => createSessionStore({ backend: 'redis' as never }, { dataDir }),
    (e: Error & { code?: string }) => e.code === 'NAU_STORE_CONFIG' && /"redis"/.test(e.message),
  );
});

test('a loaded config opens the default SQLite store under data_dir', async () => {
  const dir = join(root, 'cfg');
  const config = configFromObject({ sources: [] }, { dir });
  const store = createSessionStore(config.session_store, {
    dataDir: config.data_dir,
    sqlite: { synchronous: 'NORMAL' },
  });
  assert.equal(store.backend, 'sqlite');
  await store.open();
  assert.equal(existsSync(join(dir, '.nautilus', 'sessions.db')), true);
  assert.equal((await (store as SqliteSessionStore).settings()).synchronous, 'NORMAL');
  await store.close();
});

test('withMemoryFallback: an unavailable store at open() falls back to memory, loudly', async () => {
  const blocker = join(root, 'a-file');
  writeFileSync(blocker, 'not a folder');
  const primary = new SqliteSessionStore({ path: join(blocker, 'sessions.db') });
  const warnings: string[] = [];
  const store = withMemoryFallback(primary, (why) => warnings.push(why));
  assert.equal(store.backend, 'sqlite');
  await store.open();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /cannot create its folder/);
  assert.equal(store.backend, 'memory');
  assert.equal(store.degraded, warnings[0]);
  const h = await store.health();
  assert.equal(h.ok, true);
  assert.match(h.detail ?? '', /^DEGRADED: the sqlite session store could not be opened/);
  await saveAs(store, 's', 0, { n: 1 });
  assert.equal((await store.load('s'))?.version, 1);
  await rejectsWith(saveAs(store, 's', 0, { n: 1 }), 'NAU_STORE_CONFLICT');
  await store.close();
  await rejectsWith(store.load('s'), 'NAU_STORE_UNAVAILABLE');
});

test('withMemoryFallback: a healthy store is used as is; a newer schema is not papered over', async () => {
  const path = join(root, 'fallback', 'sessions.db');
  const warnings: string[] = [];
  const healthy = withMemoryFallback(new SqliteSessionStore({ path }), (w) => warnings.push(w));
  await healthy.open();
  assert.equal(healthy.backend, 'sqlite');
  assert.equal(healthy.degraded, null);
  await saveAs(healthy, 's', 0, {});
  await healthy.close();
  const db = new Database(path);
  db.prepare('INSERT INTO schema_migrations VALUES (99, ?, ?)').run('future', 'x');
  db.close();
  const newer = withMemoryFallback(new SqliteSessionStore({ path }), (w) => warnings.push(w));
  await rejectsWith(newer.open(), 'NAU_STORE_SCHEMA_TOO_NEW');
  assert.deepEqual(warnings, []);
  await newer.close();
});

test('postgres: an unreachable server is NAU_STORE_UNAVAILABLE without the DSN or its password', async () => {
  const port = await closedPort();
  const store = new PostgresSessionStore({
    dsn: `postgres://nautilus:S3cret-Pa55word@127.0.0.1:${port}/sessions?application_name=x`,
    connectTimeoutMs: 2000,
  });
  const e = await rejectsWith(store.open(), 'NAU_STORE_UNAVAILABLE');
  assert.equal(e.status, 503);
  assert.match(
    e.message,
    /cannot open the session tables: the server cannot be reached \(ECONNREFUSED\)/,
  );
  assert.ok((e as { cause?: unknown }).cause instanceof Error, 'the raw error is kept as cause');
  assert.deepEqual(await store.health(), { ok: false, detail: e.message });
  const shown = `${e.message} ${JSON.stringify(e)}`;
  for (const secret of ['S3cret', 'nautilus:', String(port), 'postgres://'])
    assert.equal(shown.includes(secret), false, `${secret} leaked: ${shown}`);
  // A failed open can be retried (still failing here), and close() is clean.
  await rejectsWith(store.open(), 'NAU_STORE_UNAVAILABLE');
  await store.close();
});

test('KeyedFifoLock forgets keys nobody holds', async () => {
  const lock = new KeyedFifoLock();
  const a = await lock.acquire('a');
  const waiting = lock.acquire('a');
  const b = await lock.acquire('b');
  assert.equal(lock.heldCount, 2);
  await a();
  await b();
  await (await waiting)();
  assert.equal(lock.heldCount, 0);
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr !== null
          ? resolve(addr.port)
          : reject(new Error('no port')),
      );
    });
  });
}
