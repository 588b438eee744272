// API-key authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`. The presented key
// is hashed and compared with every configured SHA-256 digest in constant time (no early exit,
// so timing says nothing about which key, if any, matched). Keys are bound to agent ids.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyConfig } from '../../config/index.ts';
import { NautilusError } from '../../errors.ts';
import { LOCAL_PRINCIPAL, type Principal, principalFor } from '../principal.ts';

export { NOBODY, type Principal } from '../principal.ts';

/** The caller when the server runs with `--no-auth` (loopback only): a trusted local caller. */
export const UNAUTHENTICATED = LOCAL_PRINCIPAL;

interface StoredKey {
  readonly digest: Buffer;
  readonly principal: Principal;
}

export class ApiKeyAuth {
  private readonly keys: readonly StoredKey[];

  constructor(entries: readonly ApiKeyConfig[]) {
    this.keys = entries.map((k) => ({
      digest: Buffer.from(k.key_sha256, 'hex'),
      principal: principalFor(k.id, k.agents),
    }));
  }

  get size(): number {
    return this.keys.length;
  }

  /** The principal of the request's key; NAU_AUTH_REQUIRED / NAU_AUTH_INVALID (401) otherwise. */
  authenticate(headers: IncomingHttpHeaders): Principal {
    const presented = credential(headers);
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: Principal | null = null;
    for (const k of this.keys) {
      if (timingSafeEqual(k.digest, digest) && found === null) found = k.principal;
    }
    if (found === null) throw authError('NAU_AUTH_INVALID', 'the API key is not valid');
    return found;
  }
}

/** The key a request presents: one of the two headers (both only when they agree). */
function credential(headers: IncomingHttpHeaders): string {
  const auth = headers.authorization;
  const apiKey = headers['x-api-key'];
  let bearer: string | undefined;
  if (auth !== undefined && auth !== '') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m === null)
      throw authError(
        'NAU_AUTH_INVALID',
        'the Authorization header must be `Bearer <api key>` (or send X-API-Key)',
      );
    bearer = m[1];
  }
  if (Array.isArray(apiKey))
    throw authError('NAU_AUTH_INVALID', 'send one X-API-Key header, not several');
  const key = apiKey === '' ? undefined : apiKey;
  if (bearer !== undefined && key !== undefined && bearer !== key)
    throw authError('NAU_AUTH_INVALID', 'Authorization and X-API-Key carry different keys');
  const found = bearer ?? key;
  if (found === undefined)
    throw authError(
      'NAU_AUTH_REQUIRED',
      'an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`',
    );
  return found;
}

function authError(code: 'NAU_AUTH_REQUIRED' | 'NAU_AUTH_INVALID', message: string): NautilusError {
  return new NautilusError(code, message, 401);
}

export { checkAgent, checkSessionAgents, mayActAs } from '../principal.ts';
