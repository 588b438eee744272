// API-key authentication for the REST API (the checks themselves: ../api-keys.ts).
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiKeyConfig } from '../../config/index.ts';
import { NautilusError } from '../../errors.ts';
import { ApiKeyDigests, isKeyRefusal } from '../api-keys.ts';
import { LOCAL_PRINCIPAL, type Principal } from '../principal.ts';

export { NOBODY, type Principal } from '../principal.ts';

/** The caller when the server runs with `--no-auth` (loopback only): a trusted local caller. */
export const UNAUTHENTICATED = LOCAL_PRINCIPAL;

export class ApiKeyAuth {
  private readonly digests: ApiKeyDigests;

  constructor(entries: readonly ApiKeyConfig[]) {
    this.digests = new ApiKeyDigests(entries);
  }

  get size(): number {
    return this.digests.size;
  }

  /** The principal of the request's key; NAU_AUTH_REQUIRED / NAU_AUTH_INVALID (401) otherwise. */
  authenticate(headers: IncomingHttpHeaders): Principal {
    const who = this.digests.authenticate(headers);
    if (isKeyRefusal(who)) throw new NautilusError(who.code, who.message, 401);
    return who;
  }
}

export { checkAgent, checkSessionAgents, mayActAs } from '../principal.ts';
