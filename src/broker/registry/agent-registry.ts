// Who an agent is allowed to be. The caller may claim a clearance, compartments and a purpose;
// the registry caps the claim by what the operator registered, so a caller can narrow its own
// access but never widen it. Unknown levels fail closed: they are refused, never guessed.
import type { AgentConfig, AgentsConfig } from '../../config/index.ts';
import { NautilusError } from '../../errors.ts';

export interface ClaimedIdentity {
  readonly clearance?: string;
  readonly compartments?: readonly string[];
  readonly purpose?: string;
}

export interface ResolvedAgent {
  readonly id: string;
  /** The effective clearance: the lower of claimed and registered (or unregistered_clearance). */
  readonly clearance: string;
  readonly compartments: readonly string[];
  /** The claimed purpose, else the agent's default_purpose, else null. */
  readonly purpose: string | null;
  readonly registered: boolean;
}

/**
 * Position of a level in the classification hierarchy, higher = more cleared; undefined (or a
 * non-finite number) for a name that is not a level.
 */
export type LevelRank = (level: string) => number | undefined;

/** A LevelRank over levels listed from lowest to highest. */
export function rankFromLevels(levels: readonly string[]): LevelRank {
  const index = new Map(levels.map((l, i) => [l, i]));
  return (level) => index.get(level);
}

const MAX_AGENT_ID = 200;

export class AgentRegistry {
  private readonly byId = new Map<string, AgentConfig>();

  constructor(private readonly config: AgentsConfig) {
    for (const a of config.registered) {
      if (this.byId.has(a.id))
        throw new NautilusError('NAU_AGENT_DUPLICATE', `duplicate agent id ${a.id}`, 500, {
          agent_id: a.id,
        });
      this.byId.set(a.id, a);
    }
  }

  get(id: string): AgentConfig | undefined {
    return this.byId.get(id);
  }

  list(): readonly AgentConfig[] {
    return this.config.registered;
  }

  get allowsUnregistered(): boolean {
    return this.config.allow_unregistered;
  }

  /**
   * The agent's effective identity for one request.
   * - NAU_AGENT_INVALID (400): the id is empty or too long.
   * - NAU_AGENT_UNKNOWN (403): not registered and unregistered agents are not allowed.
   * - NAU_AGENT_CLEARANCE_UNKNOWN (400): the claimed clearance is not a level. It is refused
   *   rather than ignored: ignoring it would hand a caller that asked for less (a typo of a lower
   *   level) the full registered clearance.
   * - NAU_AGENT_CLEARANCE_UNKNOWN (500): the configured cap itself is not a level (a config
   *   error; checkConfigLevels reports it at startup).
   */
  resolve(agentId: string, claimed: ClaimedIdentity, rank: LevelRank): ResolvedAgent {
    if (typeof agentId !== 'string' || agentId === '' || agentId.length > MAX_AGENT_ID)
      throw new NautilusError(
        'NAU_AGENT_INVALID',
        `agent id must be a non-empty string of at most ${MAX_AGENT_ID} characters`,
        400,
      );
    const agent = this.byId.get(agentId);
    if (agent === undefined && !this.config.allow_unregistered)
      throw new NautilusError('NAU_AGENT_UNKNOWN', `unknown agent ${agentId}`, 403, {
        agent_id: agentId,
      });
    const cap = agent?.clearance ?? this.config.unregistered_clearance;
    const clearance = capClearance(agentId, cap, claimed.clearance, rank, agent !== undefined);
    const compartments =
      agent === undefined
        ? []
        : claimed.compartments === undefined
          ? [...agent.compartments]
          : agent.compartments.filter((c) => claimed.compartments!.includes(c));
    const purpose =
      claimed.purpose !== undefined && claimed.purpose !== ''
        ? claimed.purpose
        : (agent?.default_purpose ?? null);
    return { id: agentId, clearance, compartments, purpose, registered: agent !== undefined };
  }
}

const known = (r: number | undefined): r is number => r !== undefined && Number.isFinite(r);

function capClearance(
  agentId: string,
  cap: string,
  claim: string | undefined,
  rank: LevelRank,
  registered: boolean,
): string {
  const capRank = rank(cap);
  if (!known(capRank))
    throw new NautilusError(
      'NAU_AGENT_CLEARANCE_UNKNOWN',
      registered
        ? `agent ${agentId} is registered with clearance ${cap}, which is not a classification level`
        : `agents.unregistered_clearance ${cap} is not a classification level`,
      500,
      { agent_id: agentId, clearance: cap },
    );
  if (claim === undefined) return cap;
  const claimRank = rank(claim);
  if (!known(claimRank))
    throw new NautilusError(
      'NAU_AGENT_CLEARANCE_UNKNOWN',
      `agent ${agentId} claims clearance ${claim}, which is not a classification level`,
      400,
      { agent_id: agentId, clearance: claim },
    );
  return claimRank < capRank ? claim : cap;
}
