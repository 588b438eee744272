// Who is calling, for both transports: an API key bound to agent ids, or a trusted local caller
// (the process that spawned an MCP stdio server; a REST server run with --no-auth on loopback).
// Every agent id and session a call names is checked against it.
import { NautilusError } from '../errors.ts';

export interface Principal {
  /** The API key's id; null for stdio. */
  readonly keyId: string | null;
  /** `*` in the key's agent list: the key may act as any agent. */
  readonly anyAgent: boolean;
  readonly agents: ReadonlySet<string>;
}

/** A trusted local caller (MCP stdio's parent process, REST with --no-auth): any agent. */
export const LOCAL_PRINCIPAL: Principal = { keyId: null, anyAgent: true, agents: new Set() };

/** A principal that may act as no agent (public routes such as the probes). */
export const NOBODY: Principal = { keyId: null, anyAgent: false, agents: new Set() };

export function principalFor(keyId: string, agents: readonly string[]): Principal {
  return { keyId, anyAgent: agents.includes('*'), agents: new Set(agents) };
}

export function mayActAs(p: Principal, agentId: string): boolean {
  return p.anyAgent || p.agents.has(agentId);
}

/** Refuses a call made as an agent the key is not bound to. */
export function checkAgent(p: Principal, agentId: string): void {
  if (mayActAs(p, agentId)) return;
  throw new NautilusError(
    'NAU_AUTH_AGENT_FORBIDDEN',
    `${keyName(p)} may not act as agent ${agentId}`,
    403,
    { field: 'agent_id' },
  );
}

/** A restricted key sees and closes only sessions whose every agent it may act as: a session
 *  holds what other agents read, and closing it would reset their cumulative exposure. */
export function checkSessionAgents(
  p: Principal,
  sessionId: string,
  agents: Iterable<string>,
): void {
  if (p.anyAgent) return;
  for (const a of agents) {
    if (!p.agents.has(a)) {
      throw new NautilusError(
        'NAU_AUTH_AGENT_FORBIDDEN',
        `${keyName(p)} may not access session ${sessionId}: it holds exposures of agents the key is not bound to`,
        403,
        { field: 'session_id' },
      );
    }
  }
}

function keyName(p: Principal): string {
  return p.keyId === null ? 'this caller' : `API key ${p.keyId}`;
}
