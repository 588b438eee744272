import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import {
  type Adapter,
  createAdapter,
  type ScopeConstraint,
  type SourceSpec,
  SqliteAdapter,
} from '../../src/adapters/index.ts';
import { assertNoLeak, ctx, intent, rejectsWith, tempDir } from './fixtures.ts';

const dir = tempDir('sqlite');
const dbFile = join(dir, 'vulns.db');
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

interface Row {
  id: number;
  severity: string;
  host: string | null;
  score: number;
  owner_ssn: string;
}
const ROWS: Row[] = Array.from({ length: 40 }, (_, i) => ({
  id: i + 1,
  severity: SEVERITIES[i % 4]!,
  host: i % 5 === 0 ? null : `host-${i + 1}`,
  score: i % 11,
  owner_ssn: `000-00-${String(i).padStart(4, '0')}`,
}));

before(() => {
  const db = new Database(dbFile);
  db.exec(`CREATE TABLE vulns (id INTEGER PRIMARY KEY, severity TEXT, host TEXT, score INTEGER,
             owner_ssn TEXT);
           CREATE TABLE keep_me (x INTEGER); INSERT INTO keep_me VALUES (1);
           CREATE VIEW slow AS WITH RECURSIVE c(x) AS
             (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 12000000)
             SELECT x AS id FROM c WHERE x < 0;`);
  const ins = db.prepare('INSERT INTO vulns VALUES (@id, @severity, @host, @score, @owner_ssn)');
  for (const r of ROWS) ins.run(r);
  db.close();
});

const opened: Adapter[] = [];
after(async () => {
  for (const a of opened) await a.close();
});

function adapter(over: Partial<SourceSpec> = {}): Adapter {
  const a = createAdapter({
    id: 'vulns',
    type: 'sqlite',
    connection: dbFile,
    table: 'vulns',
    ...over,
  });
  opened.push(a);
  return a;
}

const hash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const ids = (records: Record<string, unknown>[]) =>
  records.map((r) => r.id as number).sort((a, b) => a - b);
const expectIds = (pred: (r: Row) => boolean) => ROWS.filter(pred).map((r) => r.id);

describe('sqlite adapter: scope', () => {
  const cases: [ScopeConstraint, (r: Row) => boolean][] = [
    [{ field: 'severity', operator: '=', value: 'high' }, (r) => r.severity === 'high'],
    [{ field: 'severity', operator: '!=', value: 'high' }, (r) => r.severity !== 'high'],
    [
      { field: 'severity', operator: 'IN', value: ['high', 'critical'] },
      (r) => r.severity === 'high' || r.severity === 'critical',
    ],
    [{ field: 'severity', operator: 'NOT IN', value: ['low'] }, (r) => r.severity !== 'low'],
    [{ field: 'score', operator: '<', value: 3 }, (r) => r.score < 3],
    [{ field: 'score', operator: '>', value: 8 }, (r) => r.score > 8],
    [{ field: 'score', operator: '<=', value: 3 }, (r) => r.score <= 3],
    [{ field: 'score', operator: '>=', value: 8 }, (r) => r.score >= 8],
    [{ field: 'score', operator: 'BETWEEN', value: [2, 4] }, (r) => r.score >= 2 && r.score <= 4],
    [
      { field: 'host', operator: 'LIKE', value: 'host-1%' },
      (r) => r.host?.startsWith('host-1') ?? false,
    ],
    [{ field: 'host', operator: 'IS NULL' }, (r) => r.host === null],
    [{ field: 'host', operator: 'IS NOT NULL' }, (r) => r.host !== null],
  ];
  for (const [c, pred] of cases)
    test(`${c.field} ${c.operator} returns exactly the matching rows`, async () => {
      const r = await adapter().execute(intent, [c], ctx());
      assert.deepEqual(ids(r.records), expectIds(pred));
      assert.equal(r.truncated, false);
      assert.equal(r.scopeApplied.length, 1);
    });

  test('constraints combine with AND and are reported as applied', async () => {
    const r = await adapter().execute(
      intent,
      [
        { field: 'severity', operator: '>=', value: 'high' },
        { field: 'score', operator: 'IN', value: [1, 2, 3] },
      ],
      ctx(),
    );
    assert.deepEqual(
      ids(r.records),
      expectIds((x) => x.severity >= 'high' && [1, 2, 3].includes(x.score)),
    );
    assert.deepEqual(r.scopeApplied, ['severity >= $1 [high]', 'score IN ($2, $3, $4) [1, 2, 3]']);
  });

  test('no scope returns every row (up to the cap)', async () => {
    const r = await adapter().execute(intent, [], ctx());
    assert.equal(r.records.length, ROWS.length);
    assert.deepEqual(r.scopeApplied, []);
  });
});

describe('sqlite adapter: hostile input', () => {
  test('SQL injection through values returns no extra rows and changes nothing', async () => {
    const before = hash(dbFile);
    const a = adapter();
    for (const value of [
      "' OR 1=1 --",
      '"; DROP TABLE vulns; --',
      "high' OR '1'='1",
      'high; DELETE FROM vulns',
      '1 OR 1=1',
      "'); ATTACH DATABASE '/tmp/x' AS x; --",
    ]) {
      for (const operator of ['=', 'LIKE'] as const) {
        const r = await a.execute(intent, [{ field: 'severity', operator, value }], ctx());
        assert.deepEqual(r.records, [], `${operator} ${value}`);
      }
      const r = await a.execute(
        intent,
        [{ field: 'severity', operator: 'IN', value: [value, 'low'] }],
        ctx(),
      );
      assert.deepEqual(
        ids(r.records),
        expectIds((x) => x.severity === 'low'),
      );
    }
    assert.equal(hash(dbFile), before);
    const db = new Database(dbFile, { readonly: true });
    assert.equal((db.prepare('SELECT count(*) AS n FROM vulns').get() as { n: number }).n, 40);
    assert.equal((db.prepare('SELECT count(*) AS n FROM keep_me').get() as { n: number }).n, 1);
    db.close();
  });

  test('hostile field names are refused before any query', async () => {
    // The adapter points at a file that does not exist: a refusal that is not a connection
    // failure shows validation ran before the database was touched.
    const a = adapter({ connection: join(dir, 'absent.db') });
    for (const field of ['id; DROP TABLE vulns', '"id"', 'id--', 'id/**/', 'vulns.id', '(id)']) {
      const e = await rejectsWith(
        a.execute(intent, [{ field, operator: '=', value: 1 }], ctx()),
        'scope_rejected',
        'NAU_SCOPE_INVALID',
      );
      assert.match(e.message, /scope\[0\]/);
    }
    assert.equal(existsSync(join(dir, 'absent.db')), false);
  });

  test('a well-formed field that is not a column is refused (not read as a string)', async () => {
    const e = await rejectsWith(
      adapter().execute(intent, [{ field: 'nope', operator: '=', value: 'nope' }], ctx()),
      'scope_rejected',
      'NAU_SCOPE_INVALID',
    );
    assert.match(e.message, /not a column/);
  });

  test('an expired scope denies before connecting', async () => {
    const a = adapter({ connection: join(dir, 'absent.db') });
    await rejectsWith(
      a.execute(
        intent,
        [{ field: 'severity', operator: '=', value: 'low', expiresAt: '2000-01-01T00:00:00Z' }],
        ctx(),
      ),
      'scope_rejected',
      'NAU_SCOPE_EXPIRED',
    );
  });
});

describe('sqlite adapter: columns and rows', () => {
  test('allowed_columns restricts returned columns and scope fields', async () => {
    const a = adapter({ allowedColumns: ['id', 'severity'] });
    const r = await a.execute(intent, [{ field: 'severity', operator: '=', value: 'low' }], ctx());
    assert.ok(r.records.length > 0);
    for (const rec of r.records) assert.deepEqual(Object.keys(rec), ['id', 'severity']);
    await rejectsWith(
      a.execute(intent, [{ field: 'owner_ssn', operator: 'LIKE', value: '000%' }], ctx()),
      'scope_rejected',
      'NAU_SCOPE_INVALID',
    );
  });

  test('an allowed column the table lacks fails connect with NAU_ADAPTER_SCHEMA', async () => {
    const a = adapter({ allowedColumns: ['id', 'ghost'] });
    const e = await rejectsWith(a.connect(), 'internal', 'NAU_ADAPTER_SCHEMA');
    assert.match(e.message, /ghost/);
  });

  test('a missing table fails connect with NAU_ADAPTER_SCHEMA', async () => {
    await rejectsWith(adapter({ table: 'nope' }).connect(), 'internal', 'NAU_ADAPTER_SCHEMA');
  });

  test('row cap: maxRows rows and truncated when more match', async () => {
    const r = await adapter({ maxRows: 5 }).execute(intent, [], ctx());
    assert.equal(r.records.length, 5);
    assert.equal(r.truncated, true);
    const exact = await adapter({ maxRows: 40 }).execute(intent, [], ctx());
    assert.equal(exact.records.length, 40);
    assert.equal(exact.truncated, false);
  });
});

describe('sqlite adapter: opening and seeding', () => {
  const seed = `CREATE TABLE t (id INTEGER, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');`;

  test('seed SQL creates a missing file, which is then read read-only', async () => {
    const file = join(dir, 'seeded.db');
    const a = adapter({ connection: file, table: 't', seedSql: seed });
    const r = await a.execute(intent, [{ field: 'v', operator: '=', value: 'b' }], ctx());
    assert.deepEqual(r.records, [{ id: 2, v: 'b' }]);
    assert.ok(existsSync(file));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.seed-')),
      [],
      'no temporary seed files left',
    );
  });

  test('an existing file is never re-seeded', async () => {
    const file = join(dir, 'existing.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE t (id INTEGER, v TEXT); INSERT INTO t VALUES (99, 'mine');`);
    db.close();
    const r = await adapter({ connection: file, table: 't', seedSql: seed }).execute(
      intent,
      [],
      ctx(),
    );
    assert.deepEqual(r.records, [{ id: 99, v: 'mine' }]);
  });

  test('seed SQL may come from a file', async () => {
    const seedFile = join(dir, 'seed.sql');
    writeFileSync(seedFile, seed);
    const r = await adapter({
      connection: join(dir, 'from-file.db'),
      table: 't',
      seedSqlFile: seedFile,
    }).execute(intent, [], ctx());
    assert.equal(r.records.length, 2);
  });

  test('a failing seed leaves no database behind', async () => {
    const file = join(dir, 'bad-seed.db');
    const a = adapter({
      connection: file,
      table: 't',
      seedSql: 'CREATE TABLE t (id INTEGER); NONSENSE;',
    });
    await rejectsWith(a.connect(), 'internal', 'NAU_ADAPTER_SEED');
    assert.equal(existsSync(file), false);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('bad-seed')),
      [],
    );
  });

  test(':memory: with seed SQL works', async () => {
    const r = await adapter({ connection: ':memory:', table: 't', seedSql: seed }).execute(
      intent,
      [{ field: 'id', operator: '=', value: 1 }],
      ctx(),
    );
    assert.deepEqual(r.records, [{ id: 1, v: 'a' }]);
  });

  test('a missing file is a connection failure that does not show the path', async () => {
    const file = join(dir, 'secret-name-7f3a.db');
    const e = await rejectsWith(
      adapter({ connection: file }).execute(intent, [], ctx()),
      'connection',
    );
    assertNoLeak(e, ['secret-name-7f3a', dir]);
    assert.ok(e.cause !== undefined, 'raw error kept for logs');
  });

  test('health reports ok and not ok', async () => {
    assert.deepEqual(await adapter().health(), { ok: true });
    const h = await adapter({ connection: join(dir, 'absent.db') }).health();
    assert.equal(h.ok, false);
    assert.match(h.detail ?? '', /source vulns/);
  });

  test('spec errors name the key', () => {
    assert.throws(
      () => new SqliteAdapter({ id: 's', type: 'sqlite', connection: dbFile }),
      /table/,
    );
    assert.throws(
      () => new SqliteAdapter({ id: 's', type: 'sqlite', connection: dbFile, table: 'a;b' }),
      /NAU|table/,
    );
    assert.throws(
      () => new SqliteAdapter({ id: 's', type: 'sqlite', connection: ':memory:', table: 't' }),
      /seed_sql/,
    );
    assert.throws(
      () =>
        new SqliteAdapter({ id: 's', type: 'sqlite', connection: dbFile, table: 't', maxRows: 0 }),
      /max_rows/,
    );
    assert.throws(
      () =>
        new SqliteAdapter({
          id: 's',
          type: 'sqlite',
          connection: dbFile,
          table: 't',
          allowedColumns: ['ok', 'not ok'],
        }),
      /allowed_columns/,
    );
  });
});

describe('sqlite adapter: deadlines and lifecycle', () => {
  test('a query past its deadline fails as timeout and the adapter keeps working', async () => {
    const a = adapter({ table: 'slow', timeoutMs: 150 });
    await rejectsWith(a.execute(intent, [], ctx()), 'timeout', 'NAU_ADAPTER_TIMEOUT');
    // The stuck worker was abandoned; a fresh one answers the next query.
    const r = await a.execute(intent, [{ field: 'id', operator: '=', value: 5 }], ctx());
    assert.deepEqual(r.records, []);
  });

  test('an aborted request fails as timeout', async () => {
    const ac = new AbortController();
    ac.abort();
    await rejectsWith(adapter().execute(intent, [], ctx({ signal: ac.signal })), 'timeout');
  });

  test('concurrent queries on one source all answer', async () => {
    const a = adapter();
    const results = await Promise.all(
      SEVERITIES.map((s) =>
        a.execute(intent, [{ field: 'severity', operator: '=', value: s }], ctx()),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.records.length),
      [10, 10, 10, 10],
    );
  });

  test('execute after close fails; close is idempotent', async () => {
    const a = adapter();
    await a.execute(intent, [], ctx());
    await a.close();
    await a.close();
    await rejectsWith(a.execute(intent, [], ctx()), 'internal');
  });
});
