// api.keys_file loading, and the check of classification levels against a hierarchy.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  checkConfigLevels,
  loadApiKeysFile,
  loadConfig,
  parseConfig,
} from '../../src/config/index.ts';
import { expectError, fixture, problemAt, problemsOf, tempConfig } from './helpers.ts';

const LEVELS = ['unclassified', 'cui', 'confidential', 'secret', 'top-secret'];

test('a keys file loads like api.keys: hashed, interpolated, validated', () => {
  const keys = loadApiKeysFile(fixture('keys.yaml'), {
    env: { BATCH_KEY: 'batch-key-from-env-0001' },
  });
  assert.deepEqual(keys, [
    {
      id: 'batch',
      key_sha256: createHash('sha256').update('batch-key-from-env-0001').digest('hex'),
      agents: ['analyst-1'],
    },
    { id: 'ro', key_sha256: `${'0'.repeat(63)}1`, agents: ['*'] },
  ]);
  assert.ok(Object.isFrozen(keys) && Object.isFrozen(keys[0]));
});

test('a bad keys file reports every problem with its line', () => {
  const path = tempConfig(
    '- {id: a, key: short, agents: [x]}\n- {id: a, key_sha256: nothex, agents: [y]}\n- {id: b, agents: [z], extra: 1}\n',
    'keys.yaml',
  );
  const e = expectError(() => loadApiKeysFile(path, { env: {} }), 'NAU_CONFIG_INVALID');
  assert.equal(problemAt(e, '[0].key').message, 'a key must be at least 16 characters long');
  assert.equal(problemAt(e, '[1].id').message, 'duplicate key id a (already used by [0])');
  assert.equal(problemAt(e, '[1].key_sha256').line, 2);
  assert.equal(problemAt(e, '[2].extra').message, 'unknown key');
  expectError(() => loadApiKeysFile('/nonexistent/keys.yaml'), 'NAU_CONFIG_UNREADABLE');
});

test('checkConfigLevels accepts known levels', () => {
  const c = loadConfig(fixture('full.yaml'), { env: {} });
  checkConfigLevels(c, LEVELS);
});

test('checkConfigLevels names every unknown level with its location and a suggestion', () => {
  const c = parseConfig(
    `sources:
  - {id: a, type: sqlite, classification: secrit, data_types: [x], connection: a.db, table: t}
agents:
  allow_unregistered: true
  unregistered_clearance: public
  registered:
    - {id: x, clearance: cui}
    - {id: y, clearance: topsecret}
`,
    { env: {}, file: 'n.yaml' },
  );
  const e = expectError(() => checkConfigLevels(c, LEVELS), 'NAU_CONFIG_INVALID');
  assert.equal(problemsOf(e).length, 3);
  const p = problemAt(e, 'sources[0].classification');
  assert.equal(p.line, 2);
  assert.match(p.message, /classification secrit is not a level .*\(did you mean secret\?\)/);
  assert.match(problemAt(e, 'agents.registered[1].clearance').message, /did you mean top-secret\?/);
  assert.match(problemAt(e, 'agents.unregistered_clearance').message, /clearance public/);
  assert.match(e.message, /^invalid configuration n\.yaml/);
});

test('the unregistered clearance is only checked when unregistered agents are allowed', () => {
  const c = parseConfig('sources: []\nagents: {unregistered_clearance: nope}\n', { env: {} });
  checkConfigLevels(c, LEVELS);
});
