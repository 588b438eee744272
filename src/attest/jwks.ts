// Public-key publication: the JWK of the signing key, its RFC 7638 thumbprint as `kid`, and the
// JWKS document served at /v1/keys/jwks.json.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';

export interface AttestationJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  /** base64url of the 32-byte raw public key. */
  readonly x: string;
  /** RFC 7638 SHA-256 thumbprint of {crv, kty, x}, base64url. */
  readonly kid: string;
  readonly use: 'sig';
  readonly alg: 'EdDSA';
}

export interface Jwks {
  readonly keys: readonly AttestationJwk[];
}

/** The public JWK (with `kid`) of an Ed25519 key (private or public KeyObject). */
export async function attestationJwk(key: KeyObject): Promise<AttestationJwk> {
  const { x } = await exportJWK(key.type === 'private' ? createPublicKey(key) : key);
  if (typeof x !== 'string') throw new TypeError('not an Ed25519 key: its JWK has no x');
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }, 'sha256');
  return { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' };
}
