// Source and agent registries built from a loaded config: lookup, public view without secrets,
// and clearance capping (a caller can narrow its access, never widen it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AgentRegistry,
  rankFromLevels,
  redactPostgresDsn,
  SourceRegistry,
} from '../../src/broker/registry/index.ts';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import { expectError, fixture } from './helpers.ts';

const rank = rankFromLevels(['unclassified', 'cui', 'confidential', 'secret', 'top-secret']);
const config = loadConfig(fixture('full.yaml'), { env: {} });

test('sources by id and in config order; unknown ids are NAU_SOURCE_UNKNOWN (404)', () => {
  const reg = new SourceRegistry(config.sources);
  assert.deepEqual(reg.ids(), ['vulns', 'assets', 'tickets']);
  assert.equal(reg.size, 3);
  assert.equal(reg.get('assets')?.type, 'postgres');
  assert.equal(reg.get('nope'), undefined);
  assert.ok(reg.has('tickets') && !reg.has('nope'));
  assert.equal(reg.list()[2]?.id, 'tickets');
  const e = expectError(() => reg.require('nope'), 'NAU_SOURCE_UNKNOWN');
  assert.equal(e.status, 404);
  expectError(
    () => new SourceRegistry([...config.sources, config.sources[0]!]),
    'NAU_SOURCE_DUPLICATE',
  );
});

test('the public view keeps policy facts and drops every secret', () => {
  const reg = new SourceRegistry(config.sources);
  const list = reg.publicList();
  const text = JSON.stringify(list);
  for (const secret of ['hunter2', 's3cr3t-token', 'tenant=7', 'sslmode', '/work/', 'nautilus:'])
    assert.ok(!text.includes(secret), `public view leaks ${secret}: ${text}`);
  assert.deepEqual(
    list.map((s) => s.location),
    ['sqlite:vulns.db', 'postgres://db.internal:5432/cmdb', 'https://tickets.example.com/api/v2'],
  );
  assert.deepEqual(reg.publicView('vulns'), {
    id: 'vulns',
    type: 'sqlite',
    description: 'Vulnerability findings',
    classification: 'secret',
    compartments: ['ops'],
    data_types: ['vulnerability'],
    allowed_purposes: ['audit', 'remediation'],
    allowed_columns: ['id', 'cve', 'severity'],
    max_rows: 200,
    timeout_ms: 5000,
    location: 'sqlite:vulns.db',
  });
  assert.equal(reg.publicView('tickets').auth, 'bearer');
});

test('key=value DSNs keep only where the database is', () => {
  assert.equal(
    redactPostgresDsn("host=db port=5432 dbname=cmdb user=svc password='p w' sslkey=/k"),
    'host=db port=5432 dbname=cmdb',
  );
  assert.equal(redactPostgresDsn('postgresql://u:p@h/db?password=x'), 'postgresql://h/db');
});

test('a registered agent never gets more clearance than registered', () => {
  const agents = new AgentRegistry(config.agents);
  assert.deepEqual(agents.resolve('analyst-1', {}, rank), {
    id: 'analyst-1',
    clearance: 'secret',
    compartments: ['ops', 'hr'],
    purpose: 'audit',
    registered: true,
  });
  assert.equal(agents.resolve('analyst-1', { clearance: 'top-secret' }, rank).clearance, 'secret');
  assert.equal(agents.resolve('analyst-1', { clearance: 'cui' }, rank).clearance, 'cui');
  assert.equal(agents.resolve('analyst-1', { clearance: 'secret' }, rank).clearance, 'secret');
});

test('compartments are the intersection of claimed and registered; purpose claimed or default', () => {
  const agents = new AgentRegistry(config.agents);
  const r = agents.resolve(
    'analyst-1',
    { compartments: ['hr', 'finance'], purpose: 'remediation' },
    rank,
  );
  assert.deepEqual(r.compartments, ['hr']);
  assert.equal(r.purpose, 'remediation');
  assert.deepEqual(agents.resolve('analyst-1', { compartments: [] }, rank).compartments, []);
  assert.equal(agents.resolve('intern', {}, rank).purpose, null);
  assert.equal(agents.resolve('analyst-1', { purpose: '' }, rank).purpose, 'audit');
});

test('an unknown claimed level is refused, not ignored', () => {
  const agents = new AgentRegistry(config.agents);
  const e = expectError(
    () => agents.resolve('analyst-1', { clearance: 'confidental' }, rank),
    'NAU_AGENT_CLEARANCE_UNKNOWN',
  );
  assert.equal(e.status, 400);
  assert.match(e.message, /claims clearance confidental/);
});

test('a registered level missing from the hierarchy fails closed (500)', () => {
  const c = parseConfig('sources: []\nagents:\n  registered: [{id: a, clearance: cosmic}]\n', {
    env: {},
  });
  const e = expectError(
    () => new AgentRegistry(c.agents).resolve('a', { clearance: 'cui' }, rank),
    'NAU_AGENT_CLEARANCE_UNKNOWN',
  );
  assert.equal(e.status, 500);
});

test('unregistered agents: refused by default, capped and compartment-less when allowed', () => {
  const closed = parseConfig('sources: []\n', { env: {} });
  const e = expectError(
    () => new AgentRegistry(closed.agents).resolve('stranger', {}, rank),
    'NAU_AGENT_UNKNOWN',
  );
  assert.equal(e.status, 403);
  const open = new AgentRegistry(config.agents); // allow_unregistered, clearance cui
  assert.deepEqual(
    open.resolve('stranger', { clearance: 'top-secret', compartments: ['ops'] }, rank),
    {
      id: 'stranger',
      clearance: 'cui',
      compartments: [],
      purpose: null,
      registered: false,
    },
  );
  assert.equal(
    open.resolve('stranger', { clearance: 'unclassified', purpose: 'audit' }, rank).clearance,
    'unclassified',
  );
  assert.equal(open.resolve('stranger', { purpose: 'audit' }, rank).purpose, 'audit');
});

test('empty or oversized agent ids are NAU_AGENT_INVALID', () => {
  const agents = new AgentRegistry(config.agents);
  expectError(() => agents.resolve('', {}, rank), 'NAU_AGENT_INVALID');
  expectError(() => agents.resolve('x'.repeat(201), {}, rank), 'NAU_AGENT_INVALID');
});

test('rank functions returning NaN count as unknown levels', () => {
  const agents = new AgentRegistry(config.agents);
  const nanRank = (l: string) => (l === 'secret' ? 3 : Number.NaN);
  expectError(
    () => agents.resolve('analyst-1', { clearance: 'cui' }, nanRank),
    'NAU_AGENT_CLEARANCE_UNKNOWN',
  );
});
