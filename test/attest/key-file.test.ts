// The attestation key file: generation (0600, once, race-safe), reuse, permission and type checks.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  Attestor,
  attestationJwk,
  GENERATED_KEY_FILE,
  loadAttestationKey,
} from '../../src/attest/index.ts';
import { NautilusError } from '../../src/errors.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'nautilus-attest-'));

function writeKey(dir: string, pem: string, mode = 0o600): string {
  const path = join(dir, 'key.pem');
  writeFileSync(path, pem, { mode });
  chmodSync(path, mode);
  return path;
}

const ed25519Pem = () =>
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

test('a key is generated once into data_dir with mode 0600 and reused afterwards', async () => {
  const dataDir = join(tempDir(), 'nested', 'data');
  const first = await loadAttestationKey({ dataDir });
  assert.equal(first.created, true);
  assert.equal(first.path, join(dataDir, GENERATED_KEY_FILE));
  assert.equal(statSync(first.path).mode & 0o777, 0o600);
  const second = await loadAttestationKey({ dataDir });
  assert.equal(second.created, false);
  assert.equal(
    (await attestationJwk(second.privateKey)).kid,
    (await attestationJwk(first.privateKey)).kid,
  );
  assert.deepEqual(readdirSync(dataDir), [GENERATED_KEY_FILE]); // no temp files left behind
});

test('concurrent first use agrees on one key and never overwrites it', async () => {
  const dataDir = tempDir();
  const keys = await Promise.all(Array.from({ length: 8 }, () => loadAttestationKey({ dataDir })));
  const kids = new Set(
    await Promise.all(keys.map(async (k) => (await attestationJwk(k.privateKey)).kid)),
  );
  assert.equal(kids.size, 1);
  assert.equal(keys.filter((k) => k.created).length, 1);
  assert.deepEqual(readdirSync(dataDir), [GENERATED_KEY_FILE]);
});

test('an operator-provided PKCS#8 Ed25519 key is used as is', async () => {
  const path = writeKey(tempDir(), ed25519Pem());
  const a = await Attestor.open({ privateKeyPath: path, dataDir: '/nonexistent' });
  const again = await Attestor.open({ privateKeyPath: path });
  assert.equal(a.kid, again.kid);
});

test('a key file readable by group or others is refused unless explicitly allowed', async () => {
  for (const mode of [0o640, 0o604, 0o620]) {
    const path = writeKey(tempDir(), ed25519Pem(), mode);
    await assert.rejects(loadAttestationKey({ privateKeyPath: path }), (err: unknown) => {
      assert.ok(err instanceof NautilusError);
      assert.equal(err.code, 'NAU_ATTEST_KEY_INSECURE');
      assert.ok(err.message.includes(path));
      assert.match(err.message, new RegExp(`permissions 0${mode.toString(8)} `));
      assert.match(err.message, /chmod 600/);
      return true;
    });
    const ok = await loadAttestationKey({ privateKeyPath: path, allowInsecurePermissions: true });
    assert.equal(ok.privateKey.asymmetricKeyType, 'ed25519');
  }
  // The generated key is checked too when its mode was widened later.
  const dataDir = tempDir();
  const { path } = await loadAttestationKey({ dataDir });
  chmodSync(path, 0o644);
  await assert.rejects(loadAttestationKey({ dataDir }), { code: 'NAU_ATTEST_KEY_INSECURE' });
});

test('a missing, non-PEM, encrypted or non-Ed25519 key is an error naming the file', async () => {
  const dir = tempDir();
  const missing = join(dir, 'missing.pem');
  await assert.rejects(loadAttestationKey({ privateKeyPath: missing }), {
    code: 'NAU_ATTEST_KEY_UNREADABLE',
    message: new RegExp(`attestation key ${missing}: ENOENT`),
  });

  const garbage = writeKey(tempDir(), 'hello\n');
  await assert.rejects(loadAttestationKey({ privateKeyPath: garbage }), {
    code: 'NAU_ATTEST_KEY_INVALID',
    message: new RegExp(`${garbage}: not a PKCS#8 PEM private key`),
  });

  const encrypted = generateKeyPairSync('ed25519').privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: 'secret',
  }) as string;
  await assert.rejects(loadAttestationKey({ privateKeyPath: writeKey(tempDir(), encrypted) }), {
    message: /encrypted keys are not supported/,
  });

  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  const rsaPath = writeKey(tempDir(), rsa);
  await assert.rejects(loadAttestationKey({ privateKeyPath: rsaPath }), {
    code: 'NAU_ATTEST_KEY_INVALID',
    message: new RegExp(`${rsaPath}: is a rsa key; attestation needs Ed25519`),
  });
});

test('neither a key path nor a data directory is a configuration error', async () => {
  await assert.rejects(loadAttestationKey({}), { code: 'NAU_ATTEST_KEY_CONFIG' });
});
