// The attestation payload: what a signed receipt binds together for one request.
import { NautilusError } from '../errors.ts';

/** JWS `typ` header of attestations (explicit typing, RFC 8725 §3.11). */
export const ATTESTATION_TYP = 'nautilus-attestation+jwt';

/** What the broker supplies; `iss`, `iat` and (unless given) `jti` are added when signing. */
export interface AttestationInput {
  readonly request_id: string;
  readonly agent_id: string;
  readonly session_id: string | null;
  readonly sources_queried: readonly string[];
  readonly sources_denied: readonly string[];
  /** canonicalHash of the scope applied per source. */
  readonly scope_hash: string;
  /** canonicalHash of the rule names in firing order. */
  readonly rule_trace_hash: string;
  /** canonicalHash of the response `data`. */
  readonly response_hash: string;
  /** canonicalHash of the session's exposure summary after this request (sessions only). */
  readonly exposure_hash?: string;
  /** Token id; a random UUID when absent. */
  readonly jti?: string;
}

/** The signed payload. */
export interface AttestationClaims extends AttestationInput {
  readonly iss: string;
  /** Seconds since the epoch. */
  readonly iat: number;
  readonly jti: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HASH_FIELDS = ['scope_hash', 'rule_trace_hash', 'response_hash'] as const;

/** Describes what is wrong with a claims object, or returns null when it is well-formed. */
export function claimsProblem(c: Record<string, unknown>, signed: boolean): string | null {
  const text = signed ? ['iss', 'jti', 'request_id', 'agent_id'] : ['request_id', 'agent_id'];
  for (const f of text) {
    if (typeof c[f] !== 'string' || c[f] === '') return `claim ${f} must be a non-empty string`;
  }
  if (signed && !Number.isSafeInteger(c.iat)) return 'claim iat must be an integer';
  if (c.jti !== undefined && (typeof c.jti !== 'string' || c.jti === '')) {
    return 'claim jti must be a non-empty string';
  }
  if (c.session_id !== null && typeof c.session_id !== 'string') {
    return 'claim session_id must be a string or null';
  }
  for (const f of ['sources_queried', 'sources_denied']) {
    const v = c[f];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
      return `claim ${f} must be an array of strings`;
    }
  }
  for (const f of HASH_FIELDS) {
    if (typeof c[f] !== 'string' || !HEX64.test(c[f] as string)) {
      return `claim ${f} must be 64 lowercase hex digits`;
    }
  }
  const ex = c.exposure_hash;
  if (ex !== undefined && (typeof ex !== 'string' || !HEX64.test(ex))) {
    return 'claim exposure_hash must be 64 lowercase hex digits';
  }
  return null;
}

export function assertAttestationInput(input: AttestationInput): void {
  const problem = claimsProblem(input as unknown as Record<string, unknown>, false);
  if (problem !== null) {
    throw new NautilusError(
      'NAU_ATTEST_INVALID_CLAIMS',
      `attestation for request ${String(input.request_id)}: ${problem}`,
      500,
      { field: problem.split(' ')[1] },
    );
  }
}
