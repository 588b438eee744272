// `nautilus config check` end to end: a real child process, its output and exit code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixture, fixtures, tempConfig } from './helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function nautilus(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DB_USER: 'svc', DB_PASSWORD: 'pw' },
  });
}

test('a valid file prints a summary and exits 0', () => {
  const r = nautilus('config', 'check', fixture('full.yaml'));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      `OK: ${fixture('full.yaml')}`,
      `  data_dir:      ${join(fixtures, 'state')}`,
      '  sources:       3 (sqlite 1, postgres 1, rest 1)',
      '  agents:        2 registered; unregistered agents allowed (clearance cui)',
      `  session store: sqlite ${join(fixtures, 'sessions/s.db')}`,
      `  persistence:   async, WAL on (${join(fixtures, 'wal')})`,
      '  api:           0.0.0.0:9000, 2 keys',
      '',
    ].join('\n'),
  );
  // Secrets from the file never reach the output.
  assert.ok(!r.stdout.includes('hunter2') && !r.stdout.includes('s3cr3t'));
});

test('overrides are applied before the summary', () => {
  const r = nautilus(
    'config',
    'check',
    fixture('minimal.yaml'),
    '--data-dir',
    '/srv/n',
    '--wal-enabled',
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /data_dir: +\/srv\/n$/m);
  assert.match(r.stdout, /persistence: +synchronous, WAL on \(\/srv\/n\/wal\)$/m);
});

test('an invalid file prints every problem as file:line:col: path: message and exits 1', () => {
  const file = fixture('unknown-keys.yaml');
  const r = nautilus('config', 'check', file);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    [
      `${file}:8:5: sources[0].timeuot_ms: unknown key (did you mean timeout_ms?)`,
      `${file}:9:5: sources[0].endpoints: endpoints applies only when type is rest`,
      `${file}:10:1: sesion_store: unknown key (did you mean session_store?)`,
      `FAILED: 3 problems in ${file}`,
      '',
    ].join('\n'),
  );
});

test('a YAML syntax error exits 1 with its line', () => {
  const file = tempConfig('sources: []\napi:\n  host: "unterminated\n  port: 8080\n');
  const r = nautilus('config', 'check', file);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    new RegExp(`^${file.replaceAll('/', '\\/')}:5:1: Missing closing "quote$`, 'm'),
  );
});

test('an unreadable file exits 2, and so does a missing argument', () => {
  const r = nautilus('config', 'check', '/nonexistent/nautilus.yaml');
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /cannot read configuration file \/nonexistent\/nautilus.yaml: no such file/,
  );
  const usage = nautilus('config', 'check');
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /missing required argument 'file'/);
});
