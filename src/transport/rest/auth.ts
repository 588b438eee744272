// API-key authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`. The presented key
// is hashed and compared with every configured SHA-256 digest in constant time (no early exit,
// so timing says nothing about which key, if any, matched). Keys are bound to agent ids.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyConfig } from '../../config/index.ts';
import { NautilusError } from '../../errors.ts';

/** Who is calling: a key's id and the agents it may act as. */
export interface Principal {
  /** The key's id; null when authentication is off (`--no-auth`). */
  readonly keyId: string | null;
  /** `*` among the key's agents: any agent. */
  readonly anyAgent: boolean;
  readonly agents: ReadonlySet<string>;
}

/** The caller when the server runs with `--no-auth` (loopback only). */
export const UNAUTHENTICATED: Principal = { keyId: null, anyAgent: true, agents: new Set() };

/** The caller of a public route (probes): may act as no agent. */
export const NOBODY: Principal = { keyId: null, anyAgent: false, agents: new Set() };

interface StoredKey {
  readonly digest: Buffer;
  readonly principal: Principal;
}

export class ApiKeyAuth {
  private readonly keys: readonly StoredKey[];

  constructor(entries: readonly ApiKeyConfig[]) {
    this.keys = entries.map((k) => ({
      digest: Buffer.from(k.key_sha256, 'hex'),
      principal: { keyId: k.id, anyAgent: k.agents.includes('*'), agents: new Set(k.agents) },
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

export function mayActAs(p: Principal, agentId: string): boolean {
  return p.anyAgent || p.agents.has(agentId);
}

function keyName(p: Principal): string {
  return p.keyId === null ? 'this caller' : `API key ${p.keyId}`;
}

/** Refuses a request made as an agent the key is not bound to (403). */
export function checkAgent(p: Principal, agentId: string): void {
  if (mayActAs(p, agentId)) return;
  throw new NautilusError(
    'NAU_AUTH_AGENT_FORBIDDEN',
    `${keyName(p)} may not act as agent ${agentId}`,
    403,
    { field: 'agent_id' },
  );
}

/** A restricted key reads and closes only sessions whose every agent it may act as: a session
 *  holds what other agents read, and closing it would reset their cumulative exposure. */
export function checkSessionAgents(
  p: Principal,
  sessionId: string,
  agents: Iterable<string>,
): void {
  if (p.anyAgent) return;
  for (const a of agents) {
    if (!p.agents.has(a))
      throw new NautilusError(
        'NAU_AUTH_AGENT_FORBIDDEN',
        `${keyName(p)} may not access session ${sessionId}: it holds exposures of agents the key is not bound to`,
        403,
        { field: 'id' },
      );
  }
}
