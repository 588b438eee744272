// `nautilus attest verify`: a real child process, its output and exit code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Attestor, canonicalHash } from '../../src/attest/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Async, so servers in this process keep answering while the child runs. */
function nautilus(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ status, stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? '');
  });
}

async function fixture() {
  const attestor = await Attestor.fromPrivateKey(generateKeyPairSync('ed25519').privateKey);
  const h = canonicalHash([]);
  const signed = await attestor.sign({
    request_id: 'req-cli',
    agent_id: 'agent-a',
    session_id: null,
    sources_queried: ['crm'],
    sources_denied: [],
    scope_hash: h,
    rule_trace_hash: h,
    response_hash: h,
  });
  const dir = mkdtempSync(join(tmpdir(), 'nautilus-attest-cli-'));
  const jwksPath = join(dir, 'jwks.json');
  writeFileSync(jwksPath, JSON.stringify(attestor.jwks()));
  return { attestor, token: signed.token, claims: signed.claims, jwksPath, dir };
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

const urlOf = (s: Server, path: string) =>
  `http://127.0.0.1:${(s.address() as AddressInfo).port}${path}`;

test('valid token with a JWKS file: exit 0 and the claims as JSON; tampered: exit 1', async () => {
  const { token, claims, jwksPath } = await fixture();
  const ok = await nautilus(['attest', 'verify', token, '--jwks', jwksPath]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), claims);

  const [h, p, s] = token.split('.');
  const bad = await nautilus(['attest', 'verify', `${h}.${p}x.${s}`, '--jwks', jwksPath]);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /^attestation invalid: /);

  const wrongIssuer = await nautilus([
    'attest',
    'verify',
    token,
    '--jwks',
    jwksPath,
    '--issuer',
    'x',
  ]);
  assert.equal(wrongIssuer.status, 1);
  assert.match(wrongIssuer.stdout, /claim iss/);
});

test('the token can come from stdin', async () => {
  const { token, jwksPath } = await fixture();
  const r = await nautilus(['attest', 'verify', '-', '--jwks', jwksPath], `${token}\n`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).request_id, 'req-cli');
});

test('a JWKS URL is fetched; HTTP errors and timeouts are unreadable input (exit 2)', async () => {
  const { attestor, token } = await fixture();
  const server = await listen((req, res) => {
    if (req.url === '/v1/keys/jwks.json') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(attestor.jwks()));
    } else if (req.url === '/hang') {
      // never answers
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  try {
    const ok = await nautilus([
      'attest',
      'verify',
      token,
      '--jwks',
      urlOf(server, '/v1/keys/jwks.json'),
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).request_id, 'req-cli');

    const missing = await nautilus(['attest', 'verify', token, '--jwks', urlOf(server, '/nope')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot fetch JWKS .*: HTTP 404/);

    const hang = await nautilus([
      'attest',
      'verify',
      token,
      '--jwks',
      urlOf(server, '/hang'),
      '--timeout',
      '300',
    ]);
    assert.equal(hang.status, 2);
    assert.match(hang.stderr, /timed out after 300 ms/);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('bad arguments and unreadable JWKS files exit 2', async () => {
  const { token, dir } = await fixture();
  const missing = await nautilus(['attest', 'verify', token, '--jwks', join(dir, 'none.json')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read JWKS file .*none\.json/);

  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, '{');
  assert.equal((await nautilus(['attest', 'verify', token, '--jwks', notJson])).status, 2);
  assert.equal((await nautilus(['attest', 'verify', token])).status, 2); // --jwks missing
  const badTimeout = await nautilus([
    'attest',
    'verify',
    token,
    '--jwks',
    notJson,
    '--timeout',
    '0',
  ]);
  assert.equal(badTimeout.status, 2);
});
