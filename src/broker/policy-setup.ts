// Builds the policy engine at startup: the built-in rule set plus the user's rule directories,
// compiled, installed into a fresh engine, checked against the config's classification levels,
// with the configured sources and policy parameters asserted as resident facts.
import { fileURLToPath } from 'node:url';
import { checkConfigLevels, type LoadedConfig } from '../config/index.ts';
import { Engine } from '../engine/index.ts';
import { NautilusError } from '../errors.ts';
import { type CompiledRules, compileRules, installRules, loadRuleDirs } from '../rules/index.ts';
import { PolicyEngine } from './policy-engine.ts';
import { type LevelRank, rankFromLevels } from './registry/index.ts';

/** `rules/builtin` at the package root (the same relative path from src/ and from dist/). */
export const BUILTIN_RULES_DIR = fileURLToPath(new URL('../../rules/builtin', import.meta.url));

/** The hierarchy the built-in policy ranks clearances and classifications with. */
export const CLASSIFICATION_HIERARCHY = 'classification';

export interface LoadedPolicy {
  readonly engine: Engine;
  readonly compiled: CompiledRules;
  readonly policy: PolicyEngine;
  /** Classification levels, lowest first. */
  readonly levels: readonly string[];
  readonly rank: LevelRank;
}

export function loadPolicy(config: LoadedConfig, clock: () => Date): LoadedPolicy {
  const set = loadRuleDirs([BUILTIN_RULES_DIR, ...config.rules.dirs]);
  if (set.errors.length > 0) throw rulesInvalid(set.errors);
  const compiled = compileRules(set);
  if (compiled.errors.length > 0) throw rulesInvalid(compiled.errors);
  // The engine's clock is epoch seconds (CLIPS `time`); policy output goes nowhere: rules
  // communicate through facts, never through printout.
  const engine = new Engine({ clock: () => clock().getTime() / 1000 });
  installRules(engine, compiled);
  const levels = compiled.hierarchies.get(CLASSIFICATION_HIERARCHY);
  if (levels === undefined || levels.length === 0) {
    throw new NautilusError(
      'NAU_RULES_INVALID',
      `the rule set defines no "${CLASSIFICATION_HIERARCHY}" hierarchy, which the broker ranks clearances with`,
      500,
    );
  }
  checkConfigLevels(config, levels);
  const policy = new PolicyEngine(
    engine,
    config.sources.map((s) => ({
      id: s.id,
      type: s.type,
      classification: s.classification,
      compartments: [...s.compartments],
      dataTypes: [...s.data_types],
      allowedPurposes: [...(s.allowed_purposes ?? [])],
    })),
    {
      piiSourceLimit: config.rules.policy.pii_source_limit,
      purposeTtlSeconds: config.rules.policy.purpose_ttl_seconds,
    },
    // User rule directories may add modules; the compiled order merges them in.
    { focusOrder: compiled.focusOrder },
  );
  return { engine, compiled, policy, levels, rank: rankFromLevels(levels) };
}

function rulesInvalid(errors: readonly NautilusError[]): NautilusError {
  const lines = errors.map((e) => `  [${e.code}] ${e.message}`);
  return new NautilusError(
    'NAU_RULES_INVALID',
    [`the rules have ${errors.length} error(s)`, ...lines].join('\n'),
    500,
    { errors },
  );
}
