// The SQLite store against the shared contract (real files in a temp dir), plus file modes,
// pragmas, versioned migrations, a newer schema, reopen, damaged files, a busy database and two
// stores sharing one file.
import assert from 'node:assert/strict';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import {
  migrateSqlite,
  SQLITE_MIGRATIONS,
  SqliteSessionStore,
  type SqliteSessionStoreOptions,
} from '../../src/session/store/index.ts';
import {
  at,
  lockedIncrements,
  optimisticIncrements,
  rejectsWith,
  saveAs,
  storeContract,
} from './store-contract.ts';

const root = mkdtempSync(join(tmpdir(), 'nautilus-sqlite-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `case-${++n}`);

async function openStore(
  path: string,
  options: Omit<SqliteSessionStoreOptions, 'path'> = {},
): Promise<SqliteSessionStore> {
  const store = new SqliteSessionStore({ ...options, path });
  await store.open();
  return store;
}

storeContract({
  name: 'sqlite',
  async fresh(t) {
    const store = await openStore(join(newDir(), 'sessions.db'));
    t.after(() => store.close());
    return store;
  },
  skipReason: () => '',
});

const mode = (p: string) => statSync(p).mode & 0o777;

describe('sqlite store: files and settings', () => {
  test('creates missing folders 0700 and the database file 0600 (its -wal file too)', async () => {
    const dir = newDir();
    const path = join(dir, 'a', 'b', 'sessions.db');
    const store = await openStore(path);
    await saveAs(store, 's', 0, { n: 1 });
    assert.equal(mode(join(dir, 'a')), 0o700);
    assert.equal(mode(join(dir, 'a', 'b')), 0o700);
    assert.equal(mode(path), 0o600);
    assert.equal(mode(`${path}-wal`), 0o600);
    await store.close();
  });

  test('journal_mode WAL, synchronous FULL by default and NORMAL on request, busy_timeout', async () => {
    const full = await openStore(join(newDir(), 's.db'));
    const f = await full.settings();
    assert.deepEqual(
      [f.journalMode, f.synchronous, f.busyTimeoutMs, f.schemaVersion],
      ['wal', 'FULL', 5000, SQLITE_MIGRATIONS.length],
    );
    assert.match((await full.health()).detail ?? '', /synchronous=FULL/);
    await full.close();
    const normal = await openStore(join(newDir(), 's.db'), {
      synchronous: 'NORMAL',
      busyTimeoutMs: 250,
    });
    const s = await normal.settings();
    assert.deepEqual([s.synchronous, s.busyTimeoutMs], ['NORMAL', 250]);
    await saveAs(normal, 's', 0, {});
    const cp = await normal.checkpointFull();
    assert.equal(cp.busy, false);
    assert.equal(cp.checkpointedFrames, cp.logFrames);
    await normal.close();
  });

  test('bad options are NAU_STORE_CONFIG', () => {
    assert.throws(
      () => new SqliteSessionStore({ path: 'x.db', synchronous: 'OFF' as never }),
      (e: Error & { code?: string }) =>
        e.code === 'NAU_STORE_CONFIG' && /synchronous/.test(e.message),
    );
    assert.throws(
      () => new SqliteSessionStore({ path: 'x.db', busyTimeoutMs: -1 }),
      (e: Error & { code?: string }) => e.code === 'NAU_STORE_CONFIG',
    );
  });
});

describe('sqlite store: migrations and reopening', () => {
  const migrations = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    } finally {
      db.close();
    }
  };

  test('migrations are applied once; data and versions survive close and reopen', async () => {
    const path = join(newDir(), 'sessions.db');
    const first = await openStore(path);
    const saved = await saveAs(first, 's', 0, { n: 1 }, { walLsn: 4, now: at(1) });
    await saveAs(first, 'done', 0, {}, { status: 'closed' });
    await first.close();
    const second = await openStore(path);
    const third = await openStore(path); // a second connection to the same file
    assert.deepEqual(await second.load('s'), saved);
    assert.deepEqual(
      (await second.loadAllOpen()).map((r) => r.sessionId),
      ['s'],
    );
    const next = await saveAs(second, 's', 1, { n: 2 }, { now: at(2) });
    assert.deepEqual([next.version, next.walLsn, next.createdAt], [2, 4, at(1).toISOString()]);
    await second.close();
    await third.close();
    assert.deepEqual(
      migrations(path),
      SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
  });

  test('a later migration is applied once on top of the recorded ones', async () => {
    const path = join(newDir(), 'sessions.db');
    const store = await openStore(path);
    await saveAs(store, 's', 0, { n: 1 });
    await store.close();
    const v2 = [
      ...SQLITE_MIGRATIONS,
      { version: 2, name: 'add note', sql: 'ALTER TABLE sessions ADD COLUMN note TEXT' },
    ];
    const db = new Database(path);
    assert.deepEqual(migrateSqlite(db, path, v2), { from: 1, to: 2, applied: [2] });
    assert.deepEqual(migrateSqlite(db, path, v2), { from: 2, to: 2, applied: [] });
    assert.equal(
      (db.prepare('SELECT count(*) AS n FROM sessions WHERE note IS NULL').get() as { n: number })
        .n,
      1,
    );
    db.close();
    assert.throws(
      () =>
        migrateSqlite(new Database(':memory:'), ':memory:', [
          SQLITE_MIGRATIONS[0]!,
          { ...v2[1]!, version: 3 },
        ]),
      /entry 1 has version 3, expected 2/,
    );
  });

  test('a database with a newer schema is refused (NAU_STORE_SCHEMA_TOO_NEW) and left untouched', async () => {
    const path = join(newDir(), 'sessions.db');
    const store = await openStore(path);
    await saveAs(store, 's', 0, { n: 1 });
    await store.close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(7, 'from the future', 'x');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = readFileSync(path);
    const newer = new SqliteSessionStore({ path });
    const e = await rejectsWith(newer.open(), 'NAU_STORE_SCHEMA_TOO_NEW');
    assert.ok(e.message.includes(path), e.message);
    assert.match(e.message, /schema version 7, but this Nautilus knows versions up to 1/);
    assert.deepEqual(readFileSync(path), before);
    assert.equal((await newer.health()).ok, false);
    await rejectsWith(newer.load('s'), 'NAU_STORE_UNAVAILABLE');
    await newer.close();
  });
});

describe('sqlite store: failures are NAU_STORE_UNAVAILABLE', () => {
  test('a file that is not a database: open fails naming the file, health reports it, the file is kept', async () => {
    const dir = newDir();
    mkdirSync(dir);
    const path = join(dir, 'sessions.db');
    const garbage = Buffer.alloc(8192, 'not a database, just bytes ');
    writeFileSync(path, garbage);
    const store = new SqliteSessionStore({ path });
    const e = await rejectsWith(store.open(), 'NAU_STORE_UNAVAILABLE');
    assert.equal(e.status, 503);
    assert.ok(e.message.includes(path), e.message);
    assert.match(e.message, /corrupt or is not a SQLite database \(SQLITE_NOTADB\)/);
    // The driver's error is kept for logs, out of JSON.
    const cause = (e as { cause?: unknown }).cause;
    assert.ok(cause instanceof Error);
    assert.equal(Object.keys(e).includes('cause'), false);
    assert.equal(JSON.stringify(e).includes('file is not a database'), false);
    const h = await store.health();
    assert.deepEqual(h, { ok: false, detail: e.message });
    assert.deepEqual(readFileSync(path), garbage);
    await store.close();
  });

  test('damaged pages inside a valid file: open or the first read fails, never a crash', async () => {
    const path = join(newDir(), 'sessions.db');
    const store = await openStore(path);
    for (let i = 0; i < 50; i++) await saveAs(store, `s${i}`, 0, { pad: 'x'.repeat(2000), i });
    await store.close();
    const size = statSync(path).size;
    assert.ok(size > 16 * 4096, `database too small to damage: ${size}`);
    // Keep page 1 (header and schema), scramble everything after it.
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
    closeSync(fd);
    const damaged = new SqliteSessionStore({ path });
    let failure: Error | undefined;
    try {
      await damaged.open();
      await damaged.loadAllOpen();
    } catch (e) {
      failure = e as Error;
    }
    assert.ok(failure !== undefined, 'reading a scrambled database must fail');
    assert.equal((failure as { code?: string }).code, 'NAU_STORE_UNAVAILABLE', failure.message);
    assert.match(failure.message, /corrupt/);
    assert.equal((await damaged.health()).ok, false);
    await damaged.close();
  });

  test('the path is a folder, or its parent is a file', async () => {
    const dir = newDir();
    mkdirSync(join(dir, 'sessions.db'), { recursive: true });
    const e1 = await rejectsWith(
      new SqliteSessionStore({ path: join(dir, 'sessions.db') }).open(),
      'NAU_STORE_UNAVAILABLE',
    );
    assert.match(e1.message, /cannot open the database/);
    writeFileSync(join(dir, 'plain-file'), 'x');
    const e2 = await rejectsWith(
      new SqliteSessionStore({ path: join(dir, 'plain-file', 'sessions.db') }).open(),
      'NAU_STORE_UNAVAILABLE',
    );
    assert.match(e2.message, /cannot create its folder/);
  });

  test('another connection holding the write lock: save fails after busy_timeout, writes nothing, then works', async () => {
    const path = join(newDir(), 'sessions.db');
    const store = await openStore(path, { busyTimeoutMs: 20 });
    await saveAs(store, 's', 0, { n: 1 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const e = await rejectsWith(saveAs(store, 's', 1, { n: 2 }), 'NAU_STORE_UNAVAILABLE');
    assert.match(e.message, /save session s: .*busy_timeout \(SQLITE_BUSY\)/);
    other.exec('COMMIT');
    other.close();
    assert.equal((await store.load('s'))?.version, 1);
    assert.equal((await saveAs(store, 's', 1, { n: 2 })).version, 2);
    await store.close();
  });
});

describe('sqlite store: two stores on one file (two processes)', () => {
  test('a writer holding a stale version cannot overwrite the other', async () => {
    const path = join(newDir(), 'sessions.db');
    const a = await openStore(path);
    const b = await openStore(path);
    await saveAs(a, 's', 0, { by: 'a' });
    const seenByB = await b.load('s');
    await saveAs(a, 's', 1, { by: 'a again' });
    await rejectsWith(saveAs(b, 's', seenByB?.version ?? 0, { by: 'b' }), 'NAU_STORE_CONFLICT');
    assert.deepEqual((await b.load('s'))?.state, { by: 'a again' });
    await a.close();
    await b.close();
  });

  test('interleaved read-modify-write loops lose no increment (version checks, retries)', async () => {
    const path = join(newDir(), 'sessions.db');
    const a = await openStore(path);
    const b = await openStore(path);
    const [ca, cb, la] = await Promise.all([
      optimisticIncrements(a, 'ctr', 15),
      optimisticIncrements(b, 'ctr', 15),
      lockedIncrements(a, 'ctr', 10),
    ]);
    const row = await b.load('ctr');
    assert.deepEqual([row?.state, row?.version], [{ n: 40 }, 40]);
    assert.ok(ca + cb + la > 0, 'the loops should have collided at least once');
    await a.close();
    await b.close();
  });
});
