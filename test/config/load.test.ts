// Loading a valid nautilus.yaml: defaults, path resolution, derived paths, key hashing, freezing,
// and the locator that points later code at file:line.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { configFromObject, loadConfig, parseConfig } from '../../src/config/index.ts';
import { expectError, fixture, fixtures, problemAt } from './helpers.ts';

test('a minimal config gets every default, with paths derived from data_dir', () => {
  const c = loadConfig(fixture('minimal.yaml'), { env: {} });
  const data = join(fixtures, '.nautilus');
  assert.deepEqual(JSON.parse(JSON.stringify(c)), {
    data_dir: data,
    sources: [],
    agents: { allow_unregistered: false, unregistered_clearance: 'unclassified', registered: [] },
    rules: {
      dirs: [],
      consistency_checks: true,
      policy: { pii_source_limit: 3, purpose_ttl_seconds: 0 },
    },
    analysis: {
      keyword_map: {},
      purpose_map: {},
      default_purpose: null,
      patterns: [],
      confidence_threshold: 0.5,
    },
    audit: { path: join(data, 'audit.jsonl') },
    attestation: {
      enabled: true,
      private_key_path: join(data, 'attestation-ed25519.pem'),
      generate_key: true,
      issuer: 'nautilus',
    },
    session_store: {
      backend: 'sqlite',
      path: join(data, 'sessions.db'),
      dsn: null,
      ttl_seconds: 86_400,
      on_failure: 'fail_closed',
    },
    persistence: {
      mode: 'synchronous',
      accept_async_loss: false,
      wal_enabled: false,
      wal_path: join(data, 'wal'),
      wal_segment_bytes: 64 * 1024 * 1024,
      wal_max_bytes: 1024 * 1024 * 1024,
      wal_min_free_bytes: 256 * 1024 * 1024,
    },
    api: {
      host: '127.0.0.1',
      port: 8080,
      keys: [],
      keys_file: null,
      public_metrics: false,
      body_limit_bytes: 1024 * 1024,
    },
  });
});

test('source defaults are applied per source type', () => {
  const c = parseConfig(
    `sources:
  - {id: a, type: sqlite, classification: secret, data_types: [x], connection: a.db, table: t}
  - {id: r, type: rest, classification: cui, data_types: [y], connection: "https://h.example", endpoints: [{path: /q}]}
`,
    { env: {}, dir: '/cfg' },
  );
  const [a, r] = c.sources;
  assert.equal(a?.type, 'sqlite');
  assert.deepEqual(
    { ...a },
    {
      type: 'sqlite',
      id: 'a',
      description: '',
      classification: 'secret',
      compartments: [],
      data_types: ['x'],
      allowed_purposes: null,
      timeout_ms: 10_000,
      max_rows: 1000,
      connection: '/cfg/a.db',
      table: 't',
      allowed_columns: null,
      seed_sql: null,
    },
  );
  assert.ok(r?.type === 'rest');
  assert.deepEqual(r.endpoints, [{ path: '/q', method: 'GET', query_params: [] }]);
  assert.deepEqual(r.auth, { type: 'none' });
  assert.equal(r.allow_private_network, false);
  assert.equal(r.connection, 'https://h.example');
});

test('empty sections (`agents:` with nothing under it) mean their defaults', () => {
  const c = parseConfig('sources: []\nagents:\napi:\n  keys:\nrules:\n  policy:\n', { env: {} });
  assert.equal(c.agents.allow_unregistered, false);
  assert.deepEqual(c.api.keys, []);
  assert.equal(c.rules.policy.pii_source_limit, 3);
});

test('relative paths resolve against the config file folder, not the cwd', () => {
  const c = loadConfig(fixture('full.yaml'), { env: {} });
  const at = (p: string) => join(fixtures, p);
  assert.equal(c.data_dir, at('state'));
  const [vulns, assets, tickets] = c.sources;
  assert.ok(vulns?.type === 'sqlite');
  assert.equal(vulns.connection, at('data/vulns.db'));
  assert.equal(vulns.seed_sql, at('seed/vulns.sql'));
  // Connection strings of other source types are not paths.
  assert.equal(
    assets?.connection,
    'postgres://nautilus:hunter2@db.internal:5432/cmdb?sslmode=require',
  );
  assert.equal(tickets?.connection, 'https://tickets.example.com/api/v2?tenant=7');
  assert.deepEqual(c.rules.dirs, [at('rules')]);
  assert.equal(c.audit.path, at('logs/audit.jsonl'));
  assert.equal(c.attestation.private_key_path, at('keys/ed25519.pem'));
  assert.equal(c.attestation.generate_key, false);
  assert.equal(c.session_store.path, at('sessions/s.db'));
  assert.equal(c.persistence.wal_path, at('wal'));
  assert.equal(c.api.keys_file, at('keys.yaml'));
});

test('absolute paths and :memory: are kept as written', () => {
  const c = parseConfig(
    `data_dir: /var/lib/nautilus
sources:
  - {id: m, type: sqlite, classification: s, data_types: [x], connection: ":memory:", table: t, seed_sql: /srv/seed.sql}
audit: {path: /var/log/n/audit.jsonl}
`,
    { env: {}, dir: '/etc/nautilus' },
  );
  assert.equal(c.data_dir, '/var/lib/nautilus');
  assert.ok(c.sources[0]?.type === 'sqlite');
  assert.equal(c.sources[0].connection, ':memory:');
  assert.equal(c.sources[0].seed_sql, '/srv/seed.sql');
  assert.equal(c.audit.path, '/var/log/n/audit.jsonl');
  assert.equal(c.session_store.path, '/var/lib/nautilus/sessions.db');
});

test('the full example keeps every value it sets', () => {
  const c = loadConfig(fixture('full.yaml'), { env: {} });
  assert.deepEqual(
    c.sources.map((s) => [s.id, s.type, s.classification]),
    [
      ['vulns', 'sqlite', 'secret'],
      ['assets', 'postgres', 'cui'],
      ['tickets', 'rest', 'unclassified'],
    ],
  );
  assert.deepEqual(c.sources[0]?.allowed_columns, ['id', 'cve', 'severity']);
  assert.equal(c.sources[0]?.timeout_ms, 5000);
  assert.deepEqual(c.agents.registered[0], {
    id: 'analyst-1',
    clearance: 'secret',
    compartments: ['ops', 'hr'],
    default_purpose: 'audit',
  });
  assert.deepEqual(c.analysis.patterns, [
    { name: 'ticket', regex: 'TCK-[0-9]+', field: 'ticket_id' },
  ]);
  assert.equal(c.analysis.confidence_threshold, 0.7);
  assert.equal(c.rules.consistency_checks, false);
  assert.deepEqual(c.rules.policy, { pii_source_limit: 2, purpose_ttl_seconds: 3600 });
  assert.equal(c.session_store.on_failure, 'fallback_memory');
  assert.equal(c.persistence.mode, 'async');
  assert.equal(c.persistence.wal_segment_bytes, 1_048_576);
  assert.equal(c.api.port, 9000);
  assert.equal(c.api.public_metrics, true);
});

test('plain API keys are replaced by their SHA-256; given digests are lowercased', () => {
  const c = loadConfig(fixture('full.yaml'), { env: {} });
  const digest = createHash('sha256').update('correct-horse-battery-staple').digest('hex');
  assert.deepEqual(c.api.keys, [
    { id: 'ops', key_sha256: digest, agents: ['analyst-1'] },
    {
      id: 'ci',
      key_sha256: '9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f',
      agents: ['*'],
    },
  ]);
  assert.ok(!JSON.stringify(c).includes('correct-horse'));
});

test('the loaded config is frozen, and file/locate are not part of its data', () => {
  const c = loadConfig(fixture('full.yaml'), { env: {} });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.sources) && Object.isFrozen(c.sources[0]));
  assert.throws(() => {
    (c.api as { port: number }).port = 1;
  }, TypeError);
  assert.equal(c.file, fixture('full.yaml'));
  assert.ok(!Object.keys(c).includes('locate') && !Object.keys(c).includes('file'));
  assert.equal(typeof c.locate, 'function');
});

test('locate points at the value in the file; defaulted values at their enclosing entry', () => {
  const c = loadConfig(fixture('full.yaml'), { env: {} });
  const file = fixture('full.yaml');
  // `connection: ./data/vulns.db` is line 11, the value starts in column 17.
  assert.deepEqual(c.locate(['sources', 0, 'connection']), { file, line: 11, column: 17 });
  // A list item is located at its first key.
  assert.deepEqual(c.locate(['sources', 1]), { file, line: 17, column: 5 });
  // A block mapping is located at its key.
  assert.deepEqual(c.locate(['agents']), { file, line: 33, column: 1 });
  // A value inside a flow mapping.
  assert.deepEqual(c.locate(['agents', 'registered', 1, 'clearance']), {
    file,
    line: 41,
    column: 32,
  });
  // description was not written: the source entry itself.
  assert.deepEqual(c.locate(['sources', 1, 'description']), { file, line: 17, column: 5 });
  assert.equal(dirname(c.locate([]).file), dirname(file));
});

test('configFromObject validates a plain object with the same rules', () => {
  const c = configFromObject({ sources: [], api: { port: 0 } }, { dir: '/srv' });
  assert.equal(c.api.port, 0);
  assert.equal(c.data_dir, '/srv/.nautilus');
  assert.equal(c.file, '<object>');
  const e = expectError(
    () => configFromObject({ sources: [], api: { prot: 1 } }),
    'NAU_CONFIG_INVALID',
  );
  assert.match(problemAt(e, 'api.prot').message, /unknown key \(did you mean port\?\)/);
});

test('the example in docs/config.md is a valid configuration', () => {
  const doc = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');
  const example = /## Example\n+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(example, 'docs/config.md has an Example yaml block');
  const c = parseConfig(example, {
    env: { PGPASSWORD: 'pw', TICKETS_TOKEN: 't', ANALYST_KEY_SHA256: 'ab'.repeat(32) },
    dir: '/etc/nautilus',
  });
  assert.deepEqual(
    c.sources.map((s) => s.type),
    ['sqlite', 'postgres', 'rest'],
  );
});
