// Attestor: sign, verify with jose and with an independent node:crypto-only verifier, tampering.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import {
  ATTESTATION_TYP,
  type AttestationInput,
  Attestor,
  canonicalHash,
  type Jwks,
  verifyAttestation,
} from '../../src/attest/index.ts';
import { NautilusError } from '../../src/errors.ts';

function newAttestor(options = {}) {
  return Attestor.fromPrivateKey(generateKeyPairSync('ed25519').privateKey, {
    now: () => new Date('2030-01-02T03:04:05.678Z'),
    newJti: () => 'jti-fixed',
    ...options,
  });
}

const input: AttestationInput = {
  request_id: 'req-1',
  agent_id: 'agent-a',
  session_id: 'sess-1',
  sources_queried: ['crm', 'tickets'],
  sources_denied: ['hr'],
  scope_hash: canonicalHash({ crm: [{ field: 'region', operator: '=', value: 'eu' }] }),
  rule_trace_hash: canonicalHash(['route-pii', 'deny-secret']),
  response_hash: canonicalHash({ crm: [{ id: 1 }] }),
  exposure_hash: canonicalHash({ data_types: ['pii'] }),
};

/**
 * A verifier that uses nothing but node:crypto and the JWKS: what a third party can write from
 * docs/attestation.md without jose.
 */
function independentVerify(token: string, jwks: Jwks): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  if (header.alg !== 'EdDSA') throw new Error(`unexpected alg ${header.alg}`);
  if (header.typ !== 'nautilus-attestation+jwt') throw new Error(`unexpected typ ${header.typ}`);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (jwk === undefined) throw new Error(`no key with kid ${header.kid}`);
  const key = createPublicKey({ key: { ...jwk }, format: 'jwk' });
  const ok = verify(null, Buffer.from(`${h}.${p}`, 'ascii'), key, Buffer.from(s, 'base64url'));
  if (!ok) throw new Error('bad signature');
  return JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
}

function reencode(part: unknown): string {
  return Buffer.from(JSON.stringify(part)).toString('base64url');
}

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

test('sign produces a compact EdDSA JWS with kid and explicit typ, carrying every claim', async () => {
  const a = await newAttestor();
  const { token, jti, claims } = await a.sign(input);
  const [h, p] = token.split('.') as [string, string, string];
  assert.deepEqual(decode(h), { alg: 'EdDSA', kid: a.kid, typ: ATTESTATION_TYP });
  assert.equal(jti, 'jti-fixed');
  const expected = { iss: 'nautilus', iat: 1893553445, jti: 'jti-fixed', ...input };
  assert.deepEqual(decode(p), expected);
  assert.deepEqual(claims, expected);
});

test('jose verification returns the claims', async () => {
  const a = await newAttestor({ issuer: 'nautilus-test' });
  const { token } = await a.sign({ ...input, session_id: null, jti: 'given-jti' });
  const claims = await verifyAttestation(token, a.jwks(), { issuer: 'nautilus-test' });
  assert.equal(claims.jti, 'given-jti');
  assert.equal(claims.session_id, null);
  assert.deepEqual(claims.sources_queried, ['crm', 'tickets']);
  await assert.rejects(verifyAttestation(token, a.jwks(), { issuer: 'someone-else' }), {
    code: 'NAU_ATTEST_INVALID',
    message: /claim iss/,
  });
});

test('an independent node:crypto verifier accepts the token and reads the same claims', async () => {
  const a = await newAttestor();
  const { token, claims } = await a.sign(input);
  assert.deepEqual(independentVerify(token, a.jwks()), claims);
});

test('kid is the RFC 7638 thumbprint, recomputed independently', async () => {
  const a = await newAttestor();
  const [jwk] = a.jwks().keys;
  assert.ok(jwk);
  assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
  assert.deepEqual([jwk.kty, jwk.crv, jwk.use, jwk.alg], ['OKP', 'Ed25519', 'sig', 'EdDSA']);
  assert.equal(Buffer.from(jwk.x, 'base64url').length, 32);
  const members = `{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`;
  assert.equal(jwk.kid, createHash('sha256').update(members).digest('base64url'));
});

test('tampered payload, header or signature is rejected by both verifiers', async () => {
  const a = await newAttestor();
  const { token } = await a.sign(input);
  const [h, p, s] = token.split('.') as [string, string, string];
  const payload = { ...decode(p), sources_denied: [] };
  const header = { ...decode(h), kid: a.kid, extra: 1 };
  const sig = Buffer.from(s, 'base64url');
  sig[0]! ^= 1;
  const tampered = {
    payload: `${h}.${reencode(payload)}.${s}`,
    header: `${reencode(header)}.${p}.${s}`,
    signature: `${h}.${p}.${sig.toString('base64url')}`,
  };
  for (const [what, t] of Object.entries(tampered)) {
    await assert.rejects(verifyAttestation(t, a.jwks()), (err: unknown) => {
      assert.ok(err instanceof NautilusError, what);
      assert.equal(err.code, 'NAU_ATTEST_INVALID');
      assert.match(err.message, /signature verification failed/, what);
      return true;
    });
    assert.throws(() => independentVerify(t, a.jwks()), /bad signature/, what);
  }
});

test('a token checked against another key is rejected', async () => {
  const a = await newAttestor();
  const b = await newAttestor();
  const { token } = await a.sign(input);
  await assert.rejects(verifyAttestation(token, b.jwks()), {
    code: 'NAU_ATTEST_INVALID',
    message: /no key in the JWKS matches/,
  });
  // Even under the right kid, the wrong key material fails.
  const swapped: Jwks = { keys: [{ ...b.jwks().keys[0]!, kid: a.kid }] };
  await assert.rejects(verifyAttestation(token, swapped), { message: /signature verification/ });
  assert.throws(() => independentVerify(token, swapped), /bad signature/);
});

test('a token of another type, algorithm none, or garbage is rejected', async () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const a = await Attestor.fromPrivateKey(privateKey);
  const plainJwt = await new SignJWT({ ...input, iss: 'nautilus', jti: 'x' })
    .setProtectedHeader({ alg: 'EdDSA', kid: a.kid, typ: 'JWT' })
    .setIssuedAt()
    .sign(privateKey);
  await assert.rejects(verifyAttestation(plainJwt, a.jwks()), { message: /claim typ/ });

  const none = `${reencode({ alg: 'none', typ: ATTESTATION_TYP })}.${reencode({ ...input })}.`;
  await assert.rejects(verifyAttestation(none, a.jwks()), { code: 'NAU_ATTEST_INVALID' });
  await assert.rejects(verifyAttestation('abc', a.jwks()), { message: /malformed token/ });
  await assert.rejects(verifyAttestation('a.b.c', a.jwks()), { code: 'NAU_ATTEST_INVALID' });
  await assert.rejects(verifyAttestation('a.b.c', { keys: 'no' } as never), {
    message: /invalid JWKS/,
  });
});

test('a validly signed token with a malformed payload is rejected', async () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const a = await Attestor.fromPrivateKey(privateKey);
  const t = await new SignJWT({ ...input, iss: 'nautilus', jti: 'x', scope_hash: 'short' })
    .setProtectedHeader({ alg: 'EdDSA', kid: a.kid, typ: ATTESTATION_TYP })
    .setIssuedAt()
    .sign(privateKey);
  await assert.rejects(verifyAttestation(t, a.jwks()), {
    message: /claim scope_hash must be 64 lowercase hex digits/,
  });
});

test('sign refuses malformed input, naming the field', async () => {
  const a = await newAttestor();
  await assert.rejects(a.sign({ ...input, response_hash: 'sha256:abc' }), {
    code: 'NAU_ATTEST_INVALID_CLAIMS',
    message: /req-1: claim response_hash must be 64 lowercase hex digits/,
  });
  await assert.rejects(a.sign({ ...input, agent_id: '' }), { message: /claim agent_id/ });
  await assert.rejects(a.sign({ ...input, sources_denied: [1] as never }), {
    message: /claim sources_denied must be an array of strings/,
  });
});

test('a non-Ed25519 key is refused', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await assert.rejects(Attestor.fromPrivateKey(privateKey), { code: 'NAU_ATTEST_KEY_INVALID' });
});
