// Signs per-request attestations: a compact JWS (EdDSA over Ed25519) whose payload binds the
// request, the sources used and denied, and hashes of the scope, rule trace, response and exposure.
import { type KeyObject, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { NautilusError } from '../errors.ts';
import {
  ATTESTATION_TYP,
  type AttestationClaims,
  type AttestationInput,
  assertAttestationInput,
} from './claims.ts';
import { type AttestationJwk, attestationJwk, type Jwks } from './jwks.ts';
import { type AttestationKeyOptions, loadAttestationKey } from './key-file.ts';

export interface AttestorOptions {
  /** `iss` claim (default 'nautilus'). */
  readonly issuer?: string;
  /** Clock for `iat` (default: wall clock). */
  readonly now?: () => Date;
  /** `jti` generator when the input carries none (default: random UUID). */
  readonly newJti?: () => string;
}

export interface SignedAttestation {
  /** Compact JWS: base64url(header).base64url(payload).base64url(signature). */
  readonly token: string;
  readonly jti: string;
  readonly claims: AttestationClaims;
}

export class Attestor {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicJwk: AttestationJwk,
    private readonly issuer: string,
    private readonly now: () => Date,
    private readonly newJti: () => string,
  ) {}

  /** From a private KeyObject (must be Ed25519). */
  static async fromPrivateKey(privateKey: KeyObject, options: AttestorOptions = {}) {
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
      throw new NautilusError(
        'NAU_ATTEST_KEY_INVALID',
        'attestation key must be an Ed25519 private key',
        500,
      );
    }
    return new Attestor(
      privateKey,
      await attestationJwk(privateKey),
      options.issuer ?? 'nautilus',
      options.now ?? (() => new Date()),
      options.newJti ?? randomUUID,
    );
  }

  /** Loads (or generates) the key as `loadAttestationKey` does, then builds the attestor. */
  static async open(options: AttestationKeyOptions & AttestorOptions): Promise<Attestor> {
    const { privateKey } = await loadAttestationKey(options);
    return Attestor.fromPrivateKey(privateKey, options);
  }

  /** RFC 7638 thumbprint of the public key; the JWS header's `kid`. */
  get kid(): string {
    return this.publicJwk.kid;
  }

  jwk(): AttestationJwk {
    return this.publicJwk;
  }

  jwks(): Jwks {
    return { keys: [this.publicJwk] };
  }

  /** Signs one request's attestation. Throws NAU_ATTEST_INVALID_CLAIMS on a malformed input. */
  async sign(input: AttestationInput): Promise<SignedAttestation> {
    assertAttestationInput(input);
    const claims: AttestationClaims = {
      iss: this.issuer,
      iat: Math.floor(this.now().getTime() / 1000),
      jti: input.jti ?? this.newJti(),
      request_id: input.request_id,
      agent_id: input.agent_id,
      session_id: input.session_id,
      sources_queried: [...input.sources_queried],
      sources_denied: [...input.sources_denied],
      scope_hash: input.scope_hash,
      rule_trace_hash: input.rule_trace_hash,
      response_hash: input.response_hash,
      ...(input.exposure_hash === undefined ? {} : { exposure_hash: input.exposure_hash }),
    };
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.publicJwk.kid, typ: ATTESTATION_TYP })
      .sign(this.privateKey);
    return { token, jti: claims.jti, claims };
  }
}
