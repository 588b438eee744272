// Ed25519 JWS attestations, their key, JWKS publication and canonical-JSON hashing
// (docs/attestation.md).
export type { AttestorOptions, SignedAttestation } from './attestor.ts';
export { Attestor } from './attestor.ts';
export { canonicalHash, canonicalJson, sha256Hex } from './canonical-json.ts';
export type { AttestationClaims, AttestationInput } from './claims.ts';
export { ATTESTATION_TYP } from './claims.ts';
export type { AttestationJwk, Jwks } from './jwks.ts';
export { attestationJwk } from './jwks.ts';
export type { AttestationKey, AttestationKeyOptions } from './key-file.ts';
export { GENERATED_KEY_FILE, loadAttestationKey, readAttestationKey } from './key-file.ts';
export type { VerifyAttestationOptions } from './verify.ts';
export { verifyAttestation } from './verify.ts';
