// Verifies an attestation against a JWKS with jose: EdDSA only, explicit `typ`, key chosen by `kid`,
// then the payload's shape. Every failure is NAU_ATTEST_INVALID with the reason in its message.
import { createLocalJWKSet, errors, type JSONWebKeySet, jwtVerify } from 'jose';
import { NautilusError } from '../errors.ts';
import { ATTESTATION_TYP, type AttestationClaims, claimsProblem } from './claims.ts';
import type { Jwks } from './jwks.ts';

export interface VerifyAttestationOptions {
  /** Required `iss` value (not checked when absent). */
  readonly issuer?: string;
}

function invalid(reason: string, cause?: unknown): NautilusError {
  return new NautilusError('NAU_ATTEST_INVALID', `attestation invalid: ${reason}`, 400, {
    reason,
    ...(cause === undefined ? {} : { cause }),
  });
}

function reasonOf(err: unknown): string {
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key in the JWKS matches the token header';
  if (err instanceof errors.JWKSMultipleMatchingKeys) return 'several JWKS keys match the token';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed (EdDSA expected)';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim}: ${err.message}`;
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return `malformed token (${err.message})`;
  }
  if (err instanceof errors.JWKSInvalid) return `invalid JWKS (${err.message})`;
  return err instanceof Error ? err.message : String(err);
}

/** The verified claims, or NAU_ATTEST_INVALID. */
export async function verifyAttestation(
  token: string,
  jwks: Jwks | JSONWebKeySet,
  options: VerifyAttestationOptions = {},
): Promise<AttestationClaims> {
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw invalid('malformed token (not a compact JWS of three dot-separated parts)');
  }
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
    throw invalid('invalid JWKS (an object with a "keys" array expected)');
  }
  let payload: Record<string, unknown>;
  try {
    const keySet = createLocalJWKSet(jwks as JSONWebKeySet);
    ({ payload } = await jwtVerify(token, keySet, {
      algorithms: ['EdDSA'],
      typ: ATTESTATION_TYP,
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    }));
  } catch (err) {
    throw invalid(reasonOf(err), err);
  }
  const problem = claimsProblem(payload, true);
  if (problem !== null) throw invalid(problem);
  return payload as unknown as AttestationClaims;
}
