// Everything `nautilus rules check` reports: load errors, compile errors, and what the engine
// refuses when the constructs are built into a scratch engine (unknown functions, ...).
import { Engine } from '../engine/index.ts';
import type { NautilusError } from '../errors.ts';
import { type CompiledRules, compileRules } from './compile.ts';
import { sortErrors } from './diagnostics.ts';
import { buildRules, type InstallOptions } from './install.ts';
import { loadRuleDirs, type RuleSet } from './load.ts';

export interface CheckResult {
  readonly set: RuleSet;
  readonly compiled: CompiledRules;
  /** Every error, in file and line order. */
  readonly errors: readonly NautilusError[];
}

export function checkRules(set: RuleSet, options: InstallOptions = {}): CheckResult {
  const compiled = compileRules(set);
  const build = buildRules(new Engine(), compiled, options);
  return { set, compiled, errors: sortErrors([...set.errors, ...compiled.errors, ...build]) };
}

export function checkRuleDirs(paths: readonly string[], options: InstallOptions = {}): CheckResult {
  return checkRules(loadRuleDirs(paths), options);
}
