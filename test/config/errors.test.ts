// Every way a config can be wrong: each problem names the YAML path, line and column, and a
// file's problems are all reported together.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import {
  expectError,
  fixture,
  problemAt,
  problemsOf,
  SQLITE_SOURCE,
  tempConfig,
} from './helpers.ts';

const load = (name: string) => () => loadConfig(fixture(name), { env: {} });

test('unknown keys are refused with a "did you mean" from the keys allowed there', () => {
  const e = expectError(load('unknown-keys.yaml'), 'NAU_CONFIG_INVALID');
  assert.deepEqual(problemAt(e, 'sources[0].timeuot_ms'), {
    path: 'sources[0].timeuot_ms',
    line: 8,
    column: 5,
    message: 'unknown key (did you mean timeout_ms?)',
  });
  assert.equal(problemAt(e, 'sesion_store').message, 'unknown key (did you mean session_store?)');
  // A key of another source type says which type it belongs to.
  assert.equal(
    problemAt(e, 'sources[0].endpoints').message,
    'endpoints applies only when type is rest',
  );
  assert.equal(problemsOf(e).length, 3);
});

test('an unknown key far from every known one gets no suggestion', () => {
  const e = expectError(
    () => parseConfig('sources: []\napi:\n  zzzzzzzz: 1\n', { env: {} }),
    'NAU_CONFIG_INVALID',
  );
  assert.equal(problemAt(e, 'api.zzzzzzzz').message, 'unknown key');
});

test('wrong types say what was expected and what was found', () => {
  const e = expectError(load('wrong-types.yaml'), 'NAU_CONFIG_INVALID');
  assert.deepEqual(
    problemsOf(e).map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`),
    [
      '5:17 sources[0].data_types: expected a list, got the string "vulnerability"',
      '8:17 sources[0].timeout_ms: expected an integer, got the string "soon"',
      '9:15 sources[0].max_rows: expected an integer, got the number 1.5',
      '11:9 api.port: must be at most 65535',
      '12:19 api.public_metrics: expected true or false, got the string "yes"',
    ],
  );
});

test('bad enum values list the accepted ones and suggest the closest', () => {
  const e = expectError(load('bad-enum.yaml'), 'NAU_CONFIG_INVALID');
  assert.equal(
    problemAt(e, 'sources[0].type').message,
    'expected one of sqlite, postgres, rest, got the string "postgress" (did you mean postgres?)',
  );
  assert.equal(
    problemAt(e, 'session_store.backend').message,
    'expected one of sqlite, memory, postgres, got the string "redis"',
  );
  assert.match(problemAt(e, 'persistence.mode').message, /did you mean synchronous\?/);
});

test('a source without a type names the accepted types', () => {
  const e = expectError(
    () => parseConfig('sources:\n  - id: x\n    classification: s\n', { env: {} }),
    'NAU_CONFIG_INVALID',
  );
  assert.equal(
    problemAt(e, 'sources[0].type').message,
    'missing required key type (one of sqlite, postgres, rest)',
  );
});

test('duplicate source and agent ids point at the second one and name the first', () => {
  const e = expectError(load('duplicate-ids.yaml'), 'NAU_CONFIG_INVALID');
  assert.deepEqual(problemAt(e, 'sources[1].id'), {
    path: 'sources[1].id',
    line: 8,
    column: 9,
    message: 'duplicate source id vulns (already used by sources[0])',
  });
  assert.equal(
    problemAt(e, 'agents.registered[1].id').message,
    'duplicate agent id a1 (already used by agents.registered[0])',
  );
});

test('a duplicate YAML key is refused, naming the line of the first', () => {
  const e = expectError(load('duplicate-yaml-key.yaml'), 'NAU_CONFIG_INVALID');
  assert.deepEqual(problemsOf(e), [
    {
      path: 'api.port',
      line: 5,
      column: 3,
      message: 'duplicate key port (first written at line 3)',
    },
  ]);
});

test('cross-field rules: table, endpoints, store dsn, async without WAL, keys', () => {
  const e = expectError(load('cross-field.yaml'), 'NAU_CONFIG_INVALID');
  assert.equal(problemAt(e, 'sources[0].table').message, 'missing required key table');
  assert.equal(problemAt(e, 'sources[1].endpoints').message, 'missing required key endpoints');
  assert.match(problemAt(e, 'sources[1].connection').message, /credentials under auth/);
  assert.match(problemAt(e, 'session_store.dsn').message, /backend postgres needs a dsn/);
  assert.match(problemAt(e, 'persistence.mode').message, /wal_enabled: true/);
  assert.match(problemAt(e, 'persistence.wal_max_bytes').message, /at least wal_segment_bytes/);
  assert.equal(problemAt(e, 'api.keys[0]').message, 'give exactly one of key and key_sha256');
  assert.match(
    problemAt(e, 'api.keys[0].agents[0]').message,
    /agent ghost is not in agents.registered and agents.allow_unregistered is false/,
  );
  assert.equal(problemAt(e, 'api.keys[1]').message, 'give exactly one of key and key_sha256');
  assert.equal(problemsOf(e).length, 9);
});

test('store keys that the chosen backend ignores are refused', () => {
  const e = expectError(
    () =>
      parseConfig(
        'sources: []\nsession_store:\n  backend: memory\n  path: s.db\n  dsn: postgres://x/y\n',
        { env: {} },
      ),
    'NAU_CONFIG_INVALID',
  );
  assert.equal(
    problemAt(e, 'session_store.path').message,
    'path is only used by backend sqlite, but backend is memory',
  );
  assert.equal(
    problemAt(e, 'session_store.dsn').message,
    'dsn is only used by backend postgres, but backend is memory',
  );
});

test('names, lists and patterns are checked', () => {
  const text = `sources:
  - id: 9lives
    type: sqlite
    classification: "top secret"
    data_types: []
    allowed_purposes: []
    compartments: [a, a]
    connection: v.db
    table: "vulns; drop table x"
    allowed_columns: [id, "a-b"]
analysis:
  keyword_map: {nothing: [x]}
  patterns:
    - {name: p, regex: "([", field: f}
    - {name: p, regex: "x", field: f}
  confidence_threshold: 2
api:
  keys:
    - {id: k, key: "0123456789abcdef", agents: []}
    - {id: k, key: "0123456789abcdef", agents: ['*']}
`;
  const e = expectError(() => parseConfig(text, { env: {} }), 'NAU_CONFIG_INVALID');
  const at = (p: string) => problemAt(e, p).message;
  assert.match(at('sources[0].id'), /a source id must start with a letter or _/);
  assert.match(at('sources[0].classification'), /a classification level must start/);
  assert.equal(at('sources[0].data_types'), 'a source needs at least one data type');
  assert.match(at('sources[0].allowed_purposes'), /leave the key out to allow every purpose/);
  assert.equal(at('sources[0].compartments[1]'), 'compartment a is listed twice');
  assert.match(at('sources[0].table'), /table must be a table name/);
  assert.match(at('sources[0].allowed_columns[1]'), /must be a plain name/);
  assert.match(at('analysis.patterns[0].regex'), /not a valid regular expression/);
  assert.equal(at('analysis.patterns[1].name'), 'pattern p is defined twice');
  assert.equal(at('analysis.confidence_threshold'), 'must be at most 1');
  assert.equal(at('api.keys[0].agents'), 'list the agent ids this key may act as, or * for any');
  assert.equal(at('api.keys[1].id'), 'duplicate key id k (already used by api.keys[0])');
  assert.equal(at('api.keys[1]'), 'the same key as api.keys[0]');
  // No source has data type `nothing` (sources[0] is invalid, but its data types count).
  assert.match(at('analysis.keyword_map.nothing'), /no source has data type nothing/);
});

test('all problems of a file come at once, in file order, in one message', () => {
  const e = expectError(load('cross-field.yaml'), 'NAU_CONFIG_INVALID');
  assert.equal(e.status, 400);
  const problems = problemsOf(e);
  const lines = problems.map((p) => p.line ?? 0);
  assert.deepEqual(
    lines,
    [...lines].sort((a, b) => a - b),
  );
  const file = fixture('cross-field.yaml');
  assert.equal(e.detail.file, file);
  assert.deepEqual(e.detail.location, {
    file,
    line: problems[0]!.line,
    column: problems[0]!.column,
  });
  const body = e.message.split('\n');
  assert.equal(body[0], `invalid configuration ${file} (9 problems):`);
  assert.equal(body.length, 10);
  assert.equal(body[1], `${file}:2:5: sources[0].table: missing required key table`);
});

test('YAML syntax errors are NAU_CONFIG_SYNTAX with the line', () => {
  // Broken YAML is written at test time: a fixture file would break the repository's YAML lint.
  const broken = tempConfig('sources: []\napi:\n  host: "unterminated\n  port: 8080\n');
  const e = expectError(() => loadConfig(broken, { env: {} }), 'NAU_CONFIG_SYNTAX');
  assert.equal(e.status, 400);
  const p = problemsOf(e)[0]!;
  assert.equal(p.line, 5);
  assert.match(p.message, /Missing closing "quote/);
  const e2 = expectError(() => parseConfig('a: 1\n---\nb: 2\n', { env: {} }), 'NAU_CONFIG_SYNTAX');
  assert.match(e2.message, /<string>:2:1: .*multiple documents/);
  const e3 = expectError(
    () => parseConfig('sources: *nowhere\n', { env: {} }),
    'NAU_CONFIG_SYNTAX',
  );
  assert.match(e3.message, /Unresolved alias/);
});

test('an unreadable file is NAU_CONFIG_UNREADABLE naming the file', () => {
  const e = expectError(() => loadConfig('/nonexistent/nautilus.yaml'), 'NAU_CONFIG_UNREADABLE');
  assert.match(
    e.message,
    /cannot read configuration file \/nonexistent\/nautilus.yaml: no such file/,
  );
  const dir = expectError(() => loadConfig(fixture('')), 'NAU_CONFIG_UNREADABLE');
  assert.match(dir.message, /is a directory/);
});

test('an empty file, or one that is not a mapping, is refused', () => {
  const empty = expectError(
    () => loadConfig(tempConfig('# nothing\n'), { env: {} }),
    'NAU_CONFIG_INVALID',
  );
  assert.match(problemsOf(empty)[0]!.message, /must be a mapping of sections, got null/);
  const list = expectError(() => parseConfig('- a\n', { env: {} }), 'NAU_CONFIG_INVALID');
  assert.match(problemsOf(list)[0]!.message, /must be a mapping of sections, got a list/);
  const noSources = expectError(() => parseConfig('api: {}\n', { env: {} }), 'NAU_CONFIG_INVALID');
  assert.equal(problemAt(noSources, 'sources').message, 'missing required key sources');
});

test('rest sources: only http(s) base URLs; endpoints need a leading slash and are unique', () => {
  const e = expectError(
    () =>
      parseConfig(
        `sources:
  - id: r
    type: rest
    classification: s
    data_types: [x]
    connection: ftp://files.example
    endpoints: [{path: q}, {path: /a}, {path: /a, method: GET}, {path: /b, method: PUT}]
    auth: {type: bearer}
`,
        { env: {} },
      ),
    'NAU_CONFIG_INVALID',
  );
  assert.equal(problemAt(e, 'sources[0].connection').message, 'expected http or https, got ftp://');
  assert.equal(
    problemAt(e, 'sources[0].endpoints[0].path').message,
    'an endpoint path starts with /',
  );
  assert.match(problemAt(e, 'sources[0].endpoints[3].method').message, /expected one of GET, POST/);
  assert.equal(problemAt(e, 'sources[0].auth.token').message, 'missing required key token');
});

test('the SQLITE_SOURCE helper entry is itself valid', () => {
  assert.equal(parseConfig(`sources:\n${SQLITE_SOURCE}`, { env: {} }).sources.length, 1);
});
