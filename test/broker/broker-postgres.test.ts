// The broker end to end on a real PostgreSQL source next to a SQLite one: routing, denials by
// clearance and purpose, request filters applied to the rows PostgreSQL returns (checked against
// direct SQL), allowed_columns, the row cap, a source timeout, SQL injection through filter
// values, and that refused or denied requests query nothing. Skips when PostgreSQL is absent.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { type Adapter, createAdapter } from '../../src/adapters/index.ts';
import { canonicalHash } from '../../src/attest/index.ts';
import { verifyAuditFile } from '../../src/audit/index.ts';
import { Broker, type BrokerResponse } from '../../src/broker/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { usePgCluster } from '../helpers/pg.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const ROWS = 60;
const INCIDENT_COLUMNS = ['id', 'title', 'severity', 'ip', 'date', 'status'];

// 60 incidents: severity cycles every 4 rows, ip every 3, one every 2 days back from 2026-11-23.
const PG_SEED = `
  CREATE TABLE incidents (
    id integer PRIMARY KEY, title text NOT NULL, severity text NOT NULL, ip inet NOT NULL,
    date date NOT NULL, owner_email text NOT NULL, status text NOT NULL);
  INSERT INTO incidents
    SELECT i, 'incident ' || i, (ARRAY['low','medium','high','critical'])[i % 4 + 1],
           ((ARRAY['10.0.0.5','10.0.0.7','10.0.1.12'])[i % 3 + 1])::inet,
           date '2026-11-25' - 2 * i, 'owner' || i || '@example.org',
           CASE WHEN i % 5 = 0 THEN 'closed' ELSE 'open' END
      FROM generate_series(1, ${ROWS}) AS i;
  CREATE TABLE keep_me (x integer); INSERT INTO keep_me VALUES (1);
  -- A source that never answers in time: every scan sleeps 5 s first.
  CREATE VIEW slow_telemetry AS
    SELECT i.id, i.ip::text AS ip, 'beacon' AS signal FROM incidents i CROSS JOIN pg_sleep(5);
`;

const SQLITE_SEED = `
  CREATE TABLE hosts (id INTEGER PRIMARY KEY, hostname TEXT NOT NULL, ip TEXT NOT NULL,
                      owner TEXT NOT NULL);
  INSERT INTO hosts (hostname, ip, owner) VALUES
    ('build-01', '10.0.0.5', 'ada@example.org'), ('edge-02', '10.0.0.7', 'grace@example.org'),
    ('db-03', '10.0.1.12', 'alan@example.org'), ('kiosk-07', '10.0.1.40', 'kj@example.org');
`;

const CONFIG = `
data_dir: ./state
sources:
  - id: incidents
    type: postgres
    classification: cui
    data_types: [incident]
    allowed_purposes: [incident-response, audit]
    connection: \${PG_DSN}
    table: incidents
    allowed_columns: [${INCIDENT_COLUMNS.join(', ')}]
  - id: incident-digest
    type: postgres
    classification: cui
    data_types: [digest]
    connection: \${PG_DSN}
    table: public.incidents
    allowed_columns: [id, severity]
    max_rows: 5
  - id: edr-telemetry
    type: postgres
    classification: cui
    data_types: [telemetry]
    connection: \${PG_DSN}
    table: slow_telemetry
    timeout_ms: 300
  - id: host-inventory
    type: sqlite
    classification: cui
    data_types: [asset, telemetry]
    connection: ./state/hosts.db
    seed_sql: ./hosts.sql
    table: hosts
    allowed_columns: [id, hostname, ip]
agents:
  registered:
    - { id: responder, clearance: cui, default_purpose: incident-response }
    - { id: intern, clearance: unclassified, default_purpose: incident-response }
    - { id: auditor, clearance: secret, default_purpose: audit }
    - { id: marketer, clearance: secret, default_purpose: marketing }
analysis:
  keyword_map:
    incident: [incidents, alert, alerts]
    asset: [host, hosts]
    telemetry: [edr, beacons]
  purpose_map:
    incident-response: [triage, breach]
    audit: [audit, compliance]
  confidence_threshold: 0.3
`;

let admin: pg.Client | undefined;
let broker: Broker | undefined;
let dir = '';
const executed = new Map<string, number>();
const warnings: string[] = [];

/** The built-in adapters, counting how often each source is actually queried. */
function countingFactory(spec: Parameters<typeof createAdapter>[0]): Adapter {
  const real = createAdapter(spec);
  return {
    sourceId: real.sourceId,
    connect: () => real.connect(),
    close: () => real.close(),
    health: () => real.health(),
    execute: (intent, scope, ctx) => {
      executed.set(real.sourceId, (executed.get(real.sourceId) ?? 0) + 1);
      return real.execute(intent, scope, ctx);
    },
  };
}

async function setup(databaseUrl: string): Promise<void> {
  admin = new pg.Client(databaseUrl);
  await admin.connect();
  await admin.query(PG_SEED);
  dir = mkdtempSync(join(tmpdir(), 'nautilus-broker-pg-'));
  writeFileSync(join(dir, 'hosts.sql'), SQLITE_SEED);
  writeFileSync(join(dir, 'nautilus.yaml'), CONFIG);
  broker = await Broker.fromConfig(join(dir, 'nautilus.yaml'), {
    clock: () => NOW,
    auditFsync: false,
    env: { PG_DSN: databaseUrl },
    warn: (m) => warnings.push(m),
    adapterFactory: countingFactory,
  });
}

async function teardown(): Promise<void> {
  try {
    await broker?.close();
    await admin?.end();
  } finally {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  }
}

const pgc = usePgCluster({ setup: (c) => setup(c.databaseUrl), teardown });

const b = (): Broker => broker as Broker;
const ids = (r: BrokerResponse, source: string): number[] =>
  (r.data[source]?.records ?? []).map((x) => Number(x.id)).sort((x, y) => x - y);
async function sqlIds(where: string): Promise<number[]> {
  const res = await (admin as pg.Client).query(`SELECT id FROM incidents WHERE ${where}`);
  return res.rows.map((x) => Number(x.id)).sort((x, y) => x - y);
}
const count = async (table: string): Promise<number> =>
  Number((await (admin as pg.Client).query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
const snapshot = () => new Map(executed);

describe('Broker on PostgreSQL and SQLite sources', () => {
  test('routes to the postgres source and returns its rows, attested', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const r = await b().request('responder', 'open incidents for triage');
    assert.deepEqual(r.sources_queried, ['incidents']);
    assert.deepEqual(r.sources_failed, []);
    assert.equal(r.intent.purpose, 'incident-response');
    assert.ok(r.routing_trace.includes('routing::route-by-data-type'));
    const skipped = r.sources_skipped.map((s) => s.source_id).sort();
    assert.deepEqual(skipped, ['edr-telemetry', 'host-inventory', 'incident-digest']);
    // "open" is no filter: every row comes back.
    assert.deepEqual(ids(r, 'incidents'), await sqlIds('true'));
    assert.equal(r.data.incidents?.record_count, ROWS);
    assert.equal(r.data.incidents?.truncated, false);
    // Driver values without a JSON form (pg returns date columns as Date) reach the caller as
    // JSON data, and the attestation's response_hash covers exactly what was returned.
    const first = r.data.incidents?.records[0];
    // A DATE stays the calendar day PostgreSQL stores, whatever the process time zone.
    assert.match(String(first?.date), /^\d{4}-\d{2}-\d{2}$/);
    const token = r.attestation_token;
    assert.ok(token !== null);
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    assert.equal(claims.response_hash, canonicalHash(r.data));
    assert.deepEqual(claims.sources_queried, ['incidents']);
  });

  test('denies by clearance and by purpose, with the rule and the reason', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const low = await b().request('intern', 'open incidents for triage');
    assert.deepEqual(low.sources_queried, []);
    const byClearance = low.sources_denied.find((d) => d.source_id === 'incidents');
    assert.equal(byClearance?.rule, 'policy::deny-above-clearance');
    assert.match(byClearance?.reason ?? '', /classification cui .*clearance unclassified/);

    const marketing = await b().request('marketer', 'list incidents');
    assert.deepEqual(marketing.sources_queried, []);
    const byPurpose = marketing.sources_denied.find((d) => d.source_id === 'incidents');
    assert.equal(byPurpose?.rule, 'policy::deny-purpose-not-allowed');
    assert.match(byPurpose?.reason ?? '', /purpose marketing/);

    // A claimed purpose is judged too: the responder asking "for marketing" is denied as well.
    const claimed = await b().request('responder', 'list incidents', { purpose: 'marketing' });
    assert.deepEqual(claimed.sources_queried, []);
    assert.ok(claimed.sources_denied.some((d) => d.rule === 'policy::deny-purpose-not-allowed'));
    // The same source for a purpose it serves, by an agent cleared above it, is queried.
    const audit = await b().request('auditor', 'incidents for the compliance audit');
    assert.deepEqual(audit.sources_queried, ['incidents']);
  });

  test('request filters narrow the rows postgres returns, exactly as direct SQL does', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const r = await b().request(
      'responder',
      'critical incidents on 10.0.0.5 in the last 30 days for triage',
    );
    assert.deepEqual(r.sources_queried, ['incidents']);
    const expected = await sqlIds(
      `severity = 'critical' AND ip = '10.0.0.5' AND date >= date '2026-10-26'`,
    );
    assert.ok(expected.length > 0 && expected.length < ROWS, 'the filters select some rows');
    assert.deepEqual(ids(r, 'incidents'), expected);
    assert.equal(r.data.incidents?.scope_applied.length, 3);
    const fields = (r.scope_restrictions.incidents ?? []).map((c) => c.field).sort();
    assert.deepEqual(fields, ['date', 'ip', 'severity']);

    // Each filter on its own narrows too (so none of them is silently dropped).
    const bySeverity = await b().query('responder', {
      dataTypes: ['incident'],
      filters: [{ field: 'severity', operator: 'IN', value: ['high', 'critical'] }],
    });
    assert.deepEqual(
      ids(bySeverity, 'incidents'),
      await sqlIds(`severity IN ('high', 'critical')`),
    );
    const byDate = await b().query('responder', {
      dataTypes: ['incident'],
      filters: [{ field: 'date', operator: 'BETWEEN', value: ['2026-10-01', '2026-10-31'] }],
    });
    assert.deepEqual(
      ids(byDate, 'incidents'),
      await sqlIds(`date BETWEEN '2026-10-01' AND '2026-10-31'`),
    );
  });

  test('one request spanning postgres and sqlite applies the filter to both', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const r = await b().request('responder', 'incidents and hosts on 10.0.0.7 for triage');
    assert.deepEqual([...r.sources_queried].sort(), ['host-inventory', 'incidents']);
    assert.deepEqual(ids(r, 'incidents'), await sqlIds(`ip = '10.0.0.7'`));
    const hosts = r.data['host-inventory']?.records ?? [];
    assert.deepEqual(
      hosts.map((h) => h.hostname),
      ['edge-02'],
    );
  });

  test('returns only allowed_columns: the excluded column never leaves the database', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const r = await b().request('auditor', 'incidents and hosts for the audit');
    const rows = r.data.incidents?.records ?? [];
    assert.equal(rows.length, ROWS);
    for (const row of rows) assert.deepEqual(Object.keys(row).sort(), [...INCIDENT_COLUMNS].sort());
    for (const row of r.data['host-inventory']?.records ?? [])
      assert.deepEqual(Object.keys(row).sort(), ['hostname', 'id', 'ip']);
    assert.doesNotMatch(JSON.stringify(r), /@example\.org/);
  });

  test('caps rows at max_rows and says the result was truncated', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const r = await b().query('responder', { dataTypes: ['digest'] });
    assert.deepEqual(r.sources_queried, ['incident-digest']);
    assert.equal(r.data['incident-digest']?.truncated, true);
    assert.equal(r.data['incident-digest']?.record_count, 5);
    assert.equal(r.data['incident-digest']?.records.length, 5);
    // Under the cap, nothing is truncated.
    const few = await b().query('responder', {
      dataTypes: ['digest'],
      filters: [{ field: 'id', operator: '<=', value: 4 }],
    });
    assert.equal(few.data['incident-digest']?.truncated, false);
    assert.equal(few.data['incident-digest']?.record_count, 4);
  });

  test('a source past its timeout fails as timeout; the request is answered from the others', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const warned = warnings.length;
    const started = performance.now();
    const r = await b().query('responder', { dataTypes: ['telemetry'] });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 10_000, `the 300 ms timeout fired (took ${Math.round(elapsed)} ms)`);
    assert.deepEqual(r.sources_failed, [{ source_id: 'edr-telemetry', error_class: 'timeout' }]);
    assert.deepEqual(r.sources_queried, ['host-inventory']);
    assert.equal(r.data['host-inventory']?.record_count, 4);
    assert.equal(r.data['edr-telemetry'], undefined);
    assert.ok(warnings.slice(warned).some((w) => w.includes('edr-telemetry')));
    assert.doesNotMatch(JSON.stringify(r), /canceling statement|statement timeout|pg_sleep/);
    // statement_timeout cancelled it on the server: no backend is still sleeping on the view.
    const active = await (admin as pg.Client).query(
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE state = 'active' AND query LIKE '%slow_telemetry%' AND pid <> pg_backend_pid()`,
    );
    assert.equal(Number(active.rows[0].n), 0);
    // The source stays usable for the next request (its broken connection was discarded).
    const again = await b().query('responder', { dataTypes: ['incident'] });
    assert.equal(again.data.incidents?.record_count, ROWS);
  });

  test('SQL in filter values is data: no extra rows, nothing changed', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const hostile = [
      { field: 'severity', operator: '=', value: "critical' OR '1'='1" },
      {
        field: 'severity',
        operator: 'IN',
        value: ["x'); DROP TABLE incidents; --", 'low) OR (1=1'],
      },
      { field: 'title', operator: 'LIKE', value: "%' OR 1=1 --" },
      { field: 'status', operator: '!=', value: "open' OR 'a'='a" },
      { field: 'title', operator: '=', value: 'x; DELETE FROM keep_me' },
    ] as const;
    for (const f of hostile) {
      const r = await b().query('responder', { dataTypes: ['incident'], filters: [f] });
      assert.deepEqual(r.sources_failed, [], JSON.stringify(f));
      // != on a value no row has matches every row: still nothing beyond the plain filter.
      const expected =
        f.operator === '!=' ? await sqlIds(`status <> 'open'' OR ''a''=''a'`) : ([] as number[]);
      assert.deepEqual(ids(r, 'incidents'), expected, JSON.stringify(f));
    }
    // A value the column type cannot hold (inet) fails the source, without the driver's text.
    const bad = await b().query('responder', {
      dataTypes: ['incident'],
      filters: [{ field: 'ip', operator: '=', value: "10.0.0.5' OR '1'='1" }],
    });
    assert.deepEqual(bad.sources_failed, [
      { source_id: 'incidents', error_class: 'scope_rejected' },
    ]);
    assert.doesNotMatch(JSON.stringify(bad), /invalid input syntax|inet/);
    // A field is an identifier or the query is refused before anything runs.
    await assert.rejects(
      b().query('responder', {
        dataTypes: ['incident'],
        filters: [{ field: 'severity = severity OR 1=1 --', operator: '=', value: 'x' }],
      }),
      (x: unknown) => x instanceof NautilusError && x.code === 'NAU_REQUEST_INVALID',
    );
    assert.equal(await count('incidents'), ROWS);
    assert.equal(await count('keep_me'), 1);
    const ok = await b().query('responder', { dataTypes: ['incident'] });
    assert.equal(ok.data.incidents?.record_count, ROWS);
  });

  test('refused and denied requests query nothing', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const before = snapshot();
    const denied = [
      await b().request('intern', 'incidents and hosts for triage'),
      await b().request('marketer', 'list incidents'),
      await b().query('intern', { dataTypes: ['incident', 'digest', 'telemetry'] }),
    ];
    for (const r of denied) {
      assert.deepEqual(r.sources_queried, []);
      assert.deepEqual(r.data, {});
      assert.ok(r.sources_denied.length > 0);
    }
    const refusals: Array<[Promise<unknown>, string]> = [
      [b().request('intruder', 'list incidents'), 'NAU_AGENT_UNKNOWN'],
      [b().request('responder', 'hello there'), 'NAU_INTENT_UNCLEAR'],
      [b().request('responder', 'incidents', { purpose: '' }), 'NAU_REQUEST_INVALID'],
      [
        b().request('responder', 'incidents', { clearance: 'cosmic' }),
        'NAU_AGENT_CLEARANCE_UNKNOWN',
      ],
      [b().query('responder', { dataTypes: ['nope'] }), 'NAU_REQUEST_INVALID'],
    ];
    for (const [p, code] of refusals)
      await assert.rejects(p, (x: unknown) => x instanceof NautilusError && x.code === code);
    assert.deepEqual(snapshot(), before, 'no adapter was called');
    // The counter does see real queries.
    await b().request('responder', 'incidents for triage');
    assert.equal(executed.get('incidents'), (before.get('incidents') ?? 0) + 1);
  });

  test('every request above left one line in a verifiable audit chain', async (t) => {
    if (pgc.cluster === undefined) return t.skip(pgc.skipReason);
    const path = join(dir, 'state', 'audit.jsonl');
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => l.outcome === 'partial' && l.sources_failed.length === 1));
    assert.ok(lines.some((l) => l.outcome === 'denied'));
    assert.ok(lines.some((l) => l.error_code === 'NAU_AGENT_UNKNOWN'));
    const verified = await verifyAuditFile(path);
    assert.equal(verified.ok, true, JSON.stringify(verified.problems));
  });
});
