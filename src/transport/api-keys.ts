// API keys, shared by the REST API and MCP over HTTP. A request presents its key as
// `Authorization: Bearer <key>` or `X-API-Key: <key>` (both only when they agree). The key is
// hashed and compared with every configured SHA-256 digest in constant time, with no early exit,
// so timing says nothing about which key, if any, matched. Keys are bound to agent ids.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type Principal, principalFor } from './principal.ts';

export interface ApiKeyDigest {
  readonly id: string;
  /** 64 hexadecimal digits (validated by the config schema or the transport). */
  readonly key_sha256: string;
  readonly agents: readonly string[];
}

/** Why a request was not authenticated (never the key itself). */
export interface KeyRefusal {
  readonly reason: 'missing' | 'malformed' | 'unknown';
  readonly code: 'NAU_AUTH_REQUIRED' | 'NAU_AUTH_INVALID';
  readonly message: string;
}

interface StoredKey {
  readonly digest: Buffer;
  readonly principal: Principal;
}

export class ApiKeyDigests {
  private readonly keys: readonly StoredKey[];

  constructor(entries: readonly ApiKeyDigest[]) {
    this.keys = entries.map((k) => ({
      digest: Buffer.from(k.key_sha256, 'hex'),
      principal: principalFor(k.id, k.agents),
    }));
  }

  get size(): number {
    return this.keys.length;
  }

  /** The principal of the key the request presents, or why there is none. */
  authenticate(headers: IncomingHttpHeaders): Principal | KeyRefusal {
    const presented = presentedKey(headers);
    if (typeof presented !== 'string') return presented;
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: Principal | null = null;
    for (const k of this.keys) {
      if (timingSafeEqual(k.digest, digest) && found === null) found = k.principal;
    }
    return found ?? refusal('unknown', 'the API key is not valid');
  }
}

export function isKeyRefusal(x: Principal | KeyRefusal): x is KeyRefusal {
  return 'reason' in x && 'code' in x;
}

/** The key a request presents, or why it presents none that can be used. */
function presentedKey(headers: IncomingHttpHeaders): string | KeyRefusal {
  const auth = headers.authorization;
  const apiKey = headers['x-api-key'];
  let bearer: string | undefined;
  if (auth !== undefined && auth !== '') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m === null)
      return refusal(
        'malformed',
        'the Authorization header must be `Bearer <api key>` (or send X-API-Key)',
      );
    bearer = m[1];
  }
  // Node joins repeated X-API-Key headers with ", "; a key has no comma or space.
  const x = Array.isArray(apiKey) ? apiKey.join(', ') : apiKey?.trim();
  if (x !== undefined && /[\s,]/.test(x))
    return refusal('malformed', 'send one X-API-Key header, not several');
  const key = x === '' ? undefined : x;
  if (bearer !== undefined && key !== undefined && bearer !== key)
    return refusal('malformed', 'Authorization and X-API-Key carry different keys');
  const found = bearer ?? key;
  if (found === undefined)
    return refusal(
      'missing',
      'an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`',
    );
  return found;
}

function refusal(reason: KeyRefusal['reason'], message: string): KeyRefusal {
  return { reason, code: reason === 'missing' ? 'NAU_AUTH_REQUIRED' : 'NAU_AUTH_INVALID', message };
}
