// Command-line overrides: --data-dir moves every path derived from data_dir (but not paths the
// file set), --wal-enabled / --wal-path switch the WAL, and the result is checked again.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { LoadedConfig } from '../../src/config/index.ts';
import {
  applyOverrides,
  configFromObject,
  loadConfig,
  parseConfig,
} from '../../src/config/index.ts';
import { expectError, fixture, fixtures, problemAt } from './helpers.ts';

test('dataDir moves derived paths and keeps explicit ones', () => {
  const c = parseConfig('sources: []\naudit: {path: /var/log/audit.jsonl}\n', {
    env: {},
    dir: '/etc/n',
  });
  const o = applyOverrides(c, { dataDir: '/srv/state' });
  assert.equal(o.data_dir, '/srv/state');
  assert.equal(o.session_store.path, '/srv/state/sessions.db');
  assert.equal(o.persistence.wal_path, '/srv/state/wal');
  assert.equal(o.attestation.private_key_path, '/srv/state/attestation-ed25519.pem');
  assert.equal(o.audit.path, '/var/log/audit.jsonl');
  // The original is untouched.
  assert.equal(c.data_dir, '/etc/n/.nautilus');
});

test('override paths are relative to the current directory, like any command-line path', () => {
  const c = loadConfig(fixture('minimal.yaml'), { env: {} });
  const o = applyOverrides(c, { dataDir: 'rel/state', walPath: 'rel/wal' });
  assert.equal(o.data_dir, resolve(process.cwd(), 'rel/state'));
  assert.equal(o.persistence.wal_path, resolve(process.cwd(), 'rel/wal'));
});

test('walEnabled switches the WAL; overrides compose and keep file and locate', () => {
  const c = loadConfig(fixture('minimal.yaml'), { env: {} });
  const on = applyOverrides(c, { walEnabled: true });
  assert.equal(on.persistence.wal_enabled, true);
  assert.equal(on.persistence.wal_path, join(fixtures, '.nautilus', 'wal'));
  const moved = applyOverrides(on, { dataDir: '/x' });
  assert.equal(moved.persistence.wal_enabled, true);
  assert.equal(moved.persistence.wal_path, '/x/wal');
  assert.equal(moved.file, c.file);
  assert.deepEqual(moved.locate(['sources']), c.locate(['sources']));
  assert.ok(Object.isFrozen(moved));
});

test('an override that breaks a cross-field rule is refused with the file location', () => {
  const c = loadConfig(fixture('full.yaml'), { env: {} });
  assert.equal(c.persistence.mode, 'async');
  const e = expectError(() => applyOverrides(c, { walEnabled: false }), 'NAU_CONFIG_INVALID');
  const p = problemAt(e, 'persistence.mode');
  assert.equal(p.line, 61);
  assert.match(p.message, /\(after command-line overrides\)$/);
});

test('configs built from objects accept overrides; foreign objects do not', () => {
  const c = configFromObject({ sources: [] }, { dir: '/a' });
  assert.equal(applyOverrides(c, { dataDir: '/b' }).session_store.path, '/b/sessions.db');
  const fake = { ...c } as unknown as LoadedConfig;
  expectError(() => applyOverrides(fake, {}), 'NAU_CONFIG_ORIGIN');
});
