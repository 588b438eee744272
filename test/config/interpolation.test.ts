// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are config text with ${VAR} references.
// `${VAR}` / `${VAR:-default}` interpolation: value scalars only, typed by the key they fill,
// missing variables reported with their path and line, never echoed back when invalid.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { expand, loadConfig, parseConfig } from '../../src/config/index.ts';
import { expectError, fixture, fixtures, problemAt, problemsOf, SQLITE_SOURCE } from './helpers.ts';

const ENV = { DB_USER: 'svc', DB_PASSWORD: 'p@ss' };

test('variables are substituted, defaults fill unset ones, $${ is a literal ${', () => {
  const c = loadConfig(fixture('interpolation.yaml'), { env: { ...ENV, DB_HOST: 'db.internal' } });
  assert.equal(c.sources[0]?.connection, 'postgres://svc:p@ss@db.internal/cmdb');
  assert.equal(c.sources[0]?.description, 'costs $5, literal ${NOT_A_VAR}');
  assert.equal(c.data_dir, join(fixtures, 'state'));
  assert.equal(c.api.host, '127.0.0.1');
  assert.deepEqual(c.analysis.keyword_map, { asset: ['server'] });
});

test('the default also replaces a variable that is set but empty (like the shell)', () => {
  const c = loadConfig(fixture('interpolation.yaml'), { env: { ...ENV, DB_HOST: '' } });
  assert.equal(c.sources[0]?.connection, 'postgres://svc:p@ss@localhost/cmdb');
  // Without a default, a set-but-empty variable is the empty string.
  assert.deepEqual(expand('[${E}]', { E: '' }), { ok: true, text: '[]', changed: true });
  assert.deepEqual(expand('[${E:-d}]', { E: '' }), { ok: true, text: '[d]', changed: true });
});

test('values from variables take the type their key expects (numbers, booleans)', () => {
  const c = loadConfig(fixture('interpolation.yaml'), {
    env: { ...ENV, PORT: '9443', PUBLIC_METRICS: 'true', STATE_DIR: '/var/lib/n' },
  });
  assert.equal(c.api.port, 9443);
  assert.equal(c.api.public_metrics, true);
  assert.equal(c.data_dir, '/var/lib/n');
  // Defaults are typed the same way.
  const d = loadConfig(fixture('interpolation.yaml'), { env: ENV });
  assert.equal(d.api.port, 8080);
  assert.equal(d.api.public_metrics, false);
});

test('string keys keep numeric-looking text from variables as strings', () => {
  const c = parseConfig(
    `sources:
  - {id: r, type: rest, classification: s, data_types: [x], connection: "https://h.example", endpoints: [{path: /q}],
     auth: {type: bearer, token: "\${TOKEN}"}}
`,
    { env: { TOKEN: '123456' } },
  );
  const r = c.sources[0];
  assert.ok(r?.type === 'rest' && r.auth.type === 'bearer');
  assert.equal(r.auth.token, '123456');
});

test('a missing variable without a default names the variable, the path and the line', () => {
  const e = expectError(
    () => loadConfig(fixture('interpolation.yaml'), { env: { DB_USER: 'svc' } }),
    'NAU_CONFIG_INVALID',
  );
  const p = problemAt(e, 'sources[0].connection');
  assert.equal(p.line, 7);
  assert.match(p.message, /environment variable DB_PASSWORD is not set/);
  assert.match(
    e.message,
    /interpolation\.yaml:7:17: sources\[0\]\.connection: environment variable DB_PASSWORD/,
  );
  // Only the cause is reported for that value, not a follow-on schema error.
  assert.equal(problemsOf(e).length, 1);
});

test('every missing variable is reported at once', () => {
  const e = expectError(
    () => loadConfig(fixture('interpolation.yaml'), { env: {} }),
    'NAU_CONFIG_INVALID',
  );
  const messages = problemsOf(e).map((p) => p.message);
  // One problem per value: the first missing variable of the connection string.
  assert.equal(messages.length, 1);
  assert.match(messages[0]!, /DB_USER/);
  const e2 = expectError(
    () =>
      parseConfig(`sources:\n${SQLITE_SOURCE}api:\n  host: \${H}\n  port: \${P}\n`, { env: {} }),
    'NAU_CONFIG_INVALID',
  );
  assert.deepEqual(
    problemsOf(e2).map((p) => [p.path, p.line]),
    [
      ['api.host', 4],
      ['api.port', 5],
    ],
  );
});

test('${X} inside a key is not interpolated', () => {
  const e = expectError(
    () => parseConfig('sources: []\n${SECTION}:\n  port: 1\n', { env: { SECTION: 'api' } }),
    'NAU_CONFIG_INVALID',
  );
  assert.equal(problemsOf(e)[0]?.path, '["${SECTION}"]');
  assert.match(problemsOf(e)[0]!.message, /unknown key/);
  // The same text as a value is substituted.
  const c = parseConfig('sources: []\napi:\n  host: ${SECTION}\n', { env: { SECTION: 'api' } });
  assert.equal(c.api.host, 'api');
});

test('malformed references are problems, lone dollars are kept', () => {
  const e = expectError(
    () =>
      parseConfig('sources: []\napi:\n  host: "${1BAD}"\naudit:\n  path: "x${OPEN"\n', { env: {} }),
    'NAU_CONFIG_INVALID',
  );
  assert.match(problemAt(e, 'api.host').message, /invalid variable reference \$\{1BAD\}/);
  assert.match(problemAt(e, 'audit.path').message, /unterminated \$\{/);
  const c = parseConfig('sources: []\napi:\n  host: a$b$$c$\n', { env: {} });
  assert.equal(c.api.host, 'a$b$$c$');
});

test('substituted text is not scanned again', () => {
  const c = parseConfig('sources: []\napi:\n  host: ${A}\n', { env: { A: '${B}', B: 'no' } });
  assert.equal(c.api.host, '${B}');
});

test('invalid values built from variables are not echoed in messages (they may be secrets)', () => {
  const e = expectError(
    () =>
      parseConfig('sources: []\napi:\n  port: ${SECRET}\n', { env: { SECRET: 'hunter2-token' } }),
    'NAU_CONFIG_INVALID',
  );
  const p = problemAt(e, 'api.port');
  assert.match(p.message, /expected an integer, got a string built from environment variables/);
  assert.ok(!e.message.includes('hunter2'));
});

test('process.env is used when no env is given', () => {
  process.env.NAUTILUS_TEST_CONFIG_HOST = 'from-process-env';
  try {
    const c = parseConfig('sources: []\napi:\n  host: ${NAUTILUS_TEST_CONFIG_HOST}\n');
    assert.equal(c.api.host, 'from-process-env');
  } finally {
    delete process.env.NAUTILUS_TEST_CONFIG_HOST;
  }
});

test('properties: text without $ is unchanged; a variable expands to exactly its value', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      const text = s.replaceAll('$', '');
      assert.deepEqual(expand(text, {}), { ok: true, text, changed: false });
    }),
  );
  fc.assert(
    fc.property(fc.string(), fc.string(), (value, around) => {
      const safe = around.replaceAll('$', '');
      const r = expand(`${safe}\${V}${safe}`, { V: value });
      assert.deepEqual(r, { ok: true, text: `${safe}${value}${safe}`, changed: true });
    }),
  );
});
