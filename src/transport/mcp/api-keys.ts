// API keys for the HTTP transport: SHA-256 digests from the config, compared in constant time.
// The header checks and the comparison are shared with the REST API (../api-keys.ts).
import type { IncomingHttpHeaders } from 'node:http';
import { NautilusError } from '../../errors.ts';
import { type ApiKeyDigest, ApiKeyDigests, type KeyRefusal } from '../api-keys.ts';
import type { Principal } from '../principal.ts';

export type ApiKeyEntry = ApiKeyDigest;

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

export class ApiKeyTable {
  private readonly digests: ApiKeyDigests;

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
    entries.forEach((k, i) => {
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
    });
    this.digests = new ApiKeyDigests(entries);
  }

  /** The principal of the key the request presents, or why there is none. */
  authenticate(headers: IncomingHttpHeaders): Principal | KeyRefusal {
    return this.digests.authenticate(headers);
  }
}

function keyInvalid(at: string, message: string): NautilusError {
  return new NautilusError('NAU_MCP_API_KEY_INVALID', `${at}: ${message}`, 500, { field: at });
}
