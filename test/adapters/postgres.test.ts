import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import {
  type Adapter,
  createAdapter,
  PostgresAdapter,
  type ScopeConstraint,
  type SourceSpec,
} from '../../src/adapters/index.ts';
import { usePgCluster } from '../helpers/pg.ts';
import { assertNoLeak, ctx, intent, rejectsWith } from './fixtures.ts';

let admin: pg.Client | undefined;
const opened: Adapter[] = [];

const SEVERITIES = ['low', 'medium', 'high', 'critical'];

async function setup(databaseUrl: string): Promise<void> {
  admin = new pg.Client(databaseUrl);
  await admin.connect();
  await admin.query(`
    CREATE TABLE vulns (id integer PRIMARY KEY, severity text, host text, score integer,
                        owner_ssn text);
    INSERT INTO vulns
      SELECT i, (ARRAY['low','medium','high','critical'])[(i - 1) % 4 + 1],
             CASE WHEN (i - 1) % 5 = 0 THEN NULL ELSE 'host-' || i END, (i - 1) % 11,
             '000-00-' || lpad((i - 1)::text, 4, '0')
        FROM generate_series(1, 40) AS i;
    CREATE TABLE keep_me (x integer); INSERT INTO keep_me VALUES (1);
    CREATE SCHEMA audit;
    CREATE TABLE audit."Events" (id integer, kind text);
    INSERT INTO audit."Events" VALUES (1, 'login'), (2, 'logout');
    CREATE VIEW slow AS SELECT v.* FROM vulns v CROSS JOIN pg_sleep(5);
    CREATE TABLE write_log (at timestamptz);
    CREATE FUNCTION sneaky() RETURNS integer LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO write_log VALUES (now()); RETURN 1; END $$;
    CREATE VIEW writes AS SELECT v.id, sneaky() AS s FROM vulns v;
  `);
}

async function teardown(): Promise<void> {
  for (const a of opened) await a.close();
  await admin?.end();
}

const pgc = usePgCluster({ setup: (c) => setup(c.databaseUrl), teardown });

function adapter(over: Partial<SourceSpec> = {}): Adapter {
  const a = createAdapter({
    id: 'pgvulns',
    type: 'postgres',
    connection: pgc.cluster?.databaseUrl ?? '',
    table: 'vulns',
    ...over,
  });
  opened.push(a);
  return a;
}

const count = async (table: string) =>
  Number((await admin!.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
const ids = (records: Record<string, unknown>[]) =>
  records.map((r) => r.id as number).sort((a, b) => a - b);

describe('postgres adapter: scope', () => {
  const cases: [ScopeConstraint, string][] = [
    [{ field: 'severity', operator: '=', value: 'high' }, `severity = 'high'`],
    [{ field: 'severity', operator: '!=', value: 'high' }, `severity <> 'high'`],
    [
      { field: 'severity', operator: 'IN', value: ['high', 'critical'] },
      `severity IN ('high','critical')`,
    ],
    [{ field: 'score', operator: 'NOT IN', value: [1, 2] }, 'score NOT IN (1, 2)'],
    [{ field: 'score', operator: '<', value: 3 }, 'score < 3'],
    [{ field: 'score', operator: '>', value: '8' }, 'score > 8'],
    [{ field: 'score', operator: '<=', value: 3 }, 'score <= 3'],
    [{ field: 'score', operator: '>=', value: 8 }, 'score >= 8'],
    [{ field: 'score', operator: 'BETWEEN', value: [2, 4] }, 'score BETWEEN 2 AND 4'],
    [{ field: 'host', operator: 'LIKE', value: 'host-1%' }, `host LIKE 'host-1%'`],
    [{ field: 'host', operator: 'IS NULL' }, 'host IS NULL'],
    [{ field: 'host', operator: 'IS NOT NULL' }, 'host IS NOT NULL'],
  ];
  for (const [c, where] of cases)
    test(`${c.field} ${c.operator} returns exactly the matching rows`, async (t) => {
      if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
      const r = await adapter().execute(intent, [c], ctx());
      const expected = (await admin!.query(`SELECT id FROM vulns WHERE ${where} ORDER BY id`)).rows;
      assert.deepEqual(
        ids(r.records),
        expected.map((x) => x.id),
      );
      assert.ok(r.records.length > 0);
    });

  test('constraints combine with AND; scope_applied uses $n', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const r = await adapter().execute(
      intent,
      [
        { field: 'severity', operator: '>=', value: 'high' },
        { field: 'score', operator: 'BETWEEN', value: [1, 5] },
      ],
      ctx(),
    );
    const expected = await admin!.query(
      `SELECT id FROM vulns WHERE severity >= 'high' AND score BETWEEN 1 AND 5 ORDER BY id`,
    );
    assert.deepEqual(
      ids(r.records),
      expected.rows.map((x) => x.id),
    );
    assert.deepEqual(r.scopeApplied, ['severity >= $1 [high]', 'score BETWEEN $2 AND $3 [1, 5]']);
  });

  test('schema-qualified tables with mixed case are quoted', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const r = await adapter({ table: 'audit.Events' }).execute(
      intent,
      [{ field: 'kind', operator: '=', value: 'logout' }],
      ctx(),
    );
    assert.deepEqual(r.records, [{ id: 2, kind: 'logout' }]);
  });
});

describe('postgres adapter: hostile input', () => {
  test('SQL injection through values returns no extra rows and changes nothing', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const a = adapter();
    for (const value of [
      "' OR 1=1 --",
      '"; DROP TABLE vulns; --',
      "high' OR '1'='1",
      "x'; DELETE FROM vulns; --",
      '$1',
      "E'\\x27 OR 1=1",
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
      assert.equal(r.records.length, 10);
    }
    assert.equal(await count('vulns'), 40);
    assert.equal(await count('keep_me'), 1);
  });

  test('hostile field names are refused before any query', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    // Port 1 is closed: a refusal that is not a connection failure shows no connection was tried.
    const a = adapter({ connection: 'postgres://postgres@127.0.0.1:1/x' });
    for (const field of ['id; DROP TABLE vulns', '"id"', 'id--', 'vulns.id', 'id)', 'x'.repeat(64)])
      await rejectsWith(
        a.execute(intent, [{ field, operator: '=', value: 1 }], ctx()),
        'scope_rejected',
        'NAU_SCOPE_INVALID',
      );
    assert.equal(await count('vulns'), 40);
  });

  test('a value of the wrong type for the column is a scope rejection', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const e = await rejectsWith(
      adapter().execute(intent, [{ field: 'score', operator: '=', value: "1' OR '1'='1" }], ctx()),
      'scope_rejected',
      'NAU_SCOPE_INVALID',
    );
    assertNoLeak(e, ['OR', 'invalid input syntax']);
  });

  test('an unknown column is a scope rejection without the server text', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const e = await rejectsWith(
      adapter().execute(intent, [{ field: 'nope', operator: '=', value: 1 }], ctx()),
      'scope_rejected',
      'NAU_SCOPE_INVALID',
    );
    assertNoLeak(e, ['column "nope" does not exist']);
  });

  test('queries run read-only: a view that writes fails and writes nothing', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const e = await rejectsWith(
      adapter({ table: 'writes' }).execute(intent, [], ctx()),
      'internal',
    );
    assert.match(e.message, /read-only/);
    assert.equal(await count('write_log'), 0);
  });
});

describe('postgres adapter: columns, rows, deadlines', () => {
  test('allowed_columns restricts returned columns and scope fields', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const a = adapter({ allowedColumns: ['id', 'severity'] });
    const r = await a.execute(intent, [{ field: 'severity', operator: '=', value: 'low' }], ctx());
    assert.equal(r.records.length, 10);
    for (const rec of r.records) assert.deepEqual(Object.keys(rec), ['id', 'severity']);
    await rejectsWith(
      a.execute(intent, [{ field: 'owner_ssn', operator: 'IS NOT NULL' }], ctx()),
      'scope_rejected',
      'NAU_SCOPE_INVALID',
    );
  });

  test('allowed_columns naming a missing column fails connect', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const e = await rejectsWith(
      adapter({ allowedColumns: ['id', 'ghost'] }).connect(),
      'internal',
      'NAU_ADAPTER_SCHEMA',
    );
    assert.match(e.message, /ghost/);
    await rejectsWith(adapter({ table: 'nope' }).connect(), 'internal', 'NAU_ADAPTER_SCHEMA');
  });

  test('row cap and truncated flag', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const r = await adapter({ maxRows: 7 }).execute(intent, [], ctx());
    assert.equal(r.records.length, 7);
    assert.equal(r.truncated, true);
    const all = await adapter({ maxRows: 40 }).execute(intent, [], ctx());
    assert.equal(all.records.length, 40);
    assert.equal(all.truncated, false);
  });

  test('statement_timeout stops a slow query (pg_sleep) as a timeout', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const a = adapter({ table: 'slow', timeoutMs: 200 });
    const e = await rejectsWith(a.execute(intent, [], ctx()), 'timeout', 'NAU_ADAPTER_TIMEOUT');
    assert.match(e.message, /57014/);
    // The pool is still usable afterwards.
    assert.deepEqual(await a.health(), { ok: true });
  });

  test('an aborted request stops waiting and fails as timeout', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const ac = new AbortController();
    const p = adapter({ table: 'slow', timeoutMs: 60_000 }).execute(
      intent,
      [],
      ctx({ signal: ac.signal }),
    );
    setTimeout(() => ac.abort(), 100);
    const e = await rejectsWith(p, 'timeout');
    assert.match(e.message, /cancelled/);
  });

  test('an unreachable server is a connection failure that hides the DSN', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const a = adapter({
      connection: 'postgres://scott:tiger-pw-91@127.0.0.1:1/secretdb',
      timeoutMs: 500,
    });
    const e = await rejectsWith(a.execute(intent, [], ctx()), 'connection');
    assertNoLeak(e, ['tiger-pw-91', 'scott', 'secretdb', '127.0.0.1:1']);
    assert.ok(e.cause instanceof Error, 'raw error kept for logs');
    const h = await a.health();
    assert.equal(h.ok, false);
  });

  test('a wrong database name is a connection failure', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const url = new URL(pgc.cluster.databaseUrl);
    url.pathname = '/no_such_db';
    const e = await rejectsWith(
      adapter({ connection: url.href }).execute(intent, [], ctx()),
      'connection',
    );
    assertNoLeak(e, ['no_such_db']);
  });

  test('concurrent queries share the pool', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const a = adapter();
    const results = await Promise.all(
      [...SEVERITIES, ...SEVERITIES].map((s) =>
        a.execute(intent, [{ field: 'severity', operator: '=', value: s }], ctx()),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.records.length),
      Array(8).fill(10),
    );
  });

  test('execute after close fails', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const a = adapter();
    await a.execute(intent, [], ctx());
    await a.close();
    await rejectsWith(a.execute(intent, [], ctx()), 'internal');
  });

  test('spec errors name the key', () => {
    assert.throws(
      () => new PostgresAdapter({ id: 'p', type: 'postgres', connection: 'postgres://x/y' }),
      /table/,
    );
    assert.throws(
      () =>
        new PostgresAdapter({
          id: 'p',
          type: 'postgres',
          connection: 'postgres://x/y',
          table: 'a.b.c',
        }),
      /table/,
    );
    assert.throws(
      () =>
        new PostgresAdapter({
          id: 'p',
          type: 'postgres',
          connection: 'postgres://x/y',
          table: 't',
          timeoutMs: 600_001,
        }),
      /timeout_ms/,
    );
  });
});
