// API keys for the HTTP transport: SHA-256 digests from the config, compared in constant time.
// A request presents its key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { NautilusError } from '../../errors.ts';
import { type Principal, principalFor } from '../principal.ts';

export interface ApiKeyEntry {
  readonly id: string;
  readonly key_sha256: string;
  readonly agents: readonly string[];
}

interface StoredKey {
  readonly digest: Buffer;
  readonly principal: Principal;
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Why a request was not authenticated (for the 401 answer and the log; never the key). */
export type AuthFailure = 'missing' | 'malformed' | 'unknown';

export class ApiKeyTable {
  private readonly keys: readonly StoredKey[];

  /** Refuses an empty table and malformed or duplicate entries: the HTTP transport never runs
   *  without authentication. */
  constructor(entries: ReadonlyArray<ApiKeyEntry> | undefined) {
    if (entries === undefined || entries.length === 0) {
      throw new NautilusError(
        'NAU_MCP_API_KEYS_REQUIRED',
        'the MCP HTTP transport needs at least one API key (api.keys in nautilus.yaml); it does not run unauthenticated',
        500,
        { field: 'apiKeys' },
      );
    }
    const ids = new Set<string>();
    const digests = new Set<string>();
    this.keys = entries.map((k, i) => {
      const at = `apiKeys[${i}]`;
      if (typeof k?.id !== 'string' || k.id === '')
        throw keyInvalid(at, 'id must be a non-empty string');
      if (typeof k.key_sha256 !== 'string' || !HEX_SHA256.test(k.key_sha256))
        throw keyInvalid(at, `key ${k.id}: key_sha256 must be 64 hexadecimal digits`);
      if (
        !Array.isArray(k.agents) ||
        k.agents.length === 0 ||
        !k.agents.every((a) => typeof a === 'string' && a !== '')
      )
        throw keyInvalid(at, `key ${k.id}: agents must list agent ids (or *)`);
      if (ids.has(k.id)) throw keyInvalid(at, `key id ${k.id} is used twice`);
      const hex = k.key_sha256.toLowerCase();
      if (digests.has(hex)) throw keyInvalid(at, `key ${k.id} has the same key as another entry`);
      ids.add(k.id);
      digests.add(hex);
      return { digest: Buffer.from(hex, 'hex'), principal: principalFor(k.id, k.agents) };
    });
  }

  /** The principal of the key the request presents, or why there is none. */
  authenticate(headers: IncomingHttpHeaders): Principal | AuthFailure {
    const presented = presentedKey(headers);
    if (presented === 'missing' || presented === 'malformed') return presented;
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: Principal | undefined;
    // Every entry is compared, so the time taken does not depend on which one matched.
    for (const k of this.keys) {
      if (timingSafeEqual(digest, k.digest) && found === undefined) found = k.principal;
    }
    return found ?? 'unknown';
  }
}

/** The key from `Authorization: Bearer` or `X-API-Key`; two different keys are malformed. */
function presentedKey(headers: IncomingHttpHeaders): string | AuthFailure {
  const found: string[] = [];
  const auth = headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(auth);
    if (m?.[1] === undefined) return 'malformed';
    found.push(m[1]);
  }
  const x = headers['x-api-key'];
  if (x !== undefined) {
    // Node joins repeated X-API-Key headers with ", "; one key has no comma or space.
    const v = (Array.isArray(x) ? x.join(', ') : x).trim();
    if (v === '' || /[\s,]/.test(v)) return 'malformed';
    found.push(v);
  }
  if (found.length === 0) return 'missing';
  if (found.length === 2 && found[0] !== found[1]) return 'malformed';
  return found[0] as string;
}

function keyInvalid(at: string, message: string): NautilusError {
  return new NautilusError('NAU_MCP_API_KEY_INVALID', `${at}: ${message}`, 500, { field: at });
}
