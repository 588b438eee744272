// Loading compiled rules into an engine: host functions first (the engine resolves function
// names when a construct is built), then each construct. An engine build error is reported at
// the YAML line the offending CLIPS line came from.
import { type Engine, EngineError, type HostFunction } from '../engine/index.ts';
import type { NautilusError } from '../errors.ts';
import type { CompiledRules } from './compile.ts';
import type { CompiledUnit } from './compile-unit.ts';
import { aggregateError, rulesError } from './diagnostics.ts';
import { hostFunctions, registerHostFunctions } from './host/index.ts';

export interface InstallOptions {
  /** Application host functions, registered after the built-in ones (a name may override). */
  readonly functions?: Readonly<Record<string, HostFunction>>;
}

/**
 * Installs compiled rules into a fresh engine (one install per engine: the templates cannot be
 * redefined once rules use them). Throws a NautilusError listing every failure.
 */
export function installRules(
  engine: Engine,
  compiled: CompiledRules,
  options: InstallOptions = {},
): void {
  if (compiled.errors.length > 0)
    throw aggregateError(
      'NAU_RULES_INVALID',
      `the rules have ${compiled.errors.length} error(s)`,
      compiled.errors,
    );
  const errors = buildRules(engine, compiled, options);
  if (errors.length > 0)
    throw aggregateError(
      'NAU_RULES_BUILD',
      `${errors.length} construct(s) failed to build`,
      errors,
    );
}

/** Registers host functions and builds every construct; returns the failures (none: []). */
export function buildRules(
  engine: Engine,
  compiled: CompiledRules,
  options: InstallOptions = {},
): NautilusError[] {
  registerHostFunctions(
    engine,
    hostFunctions(engine, {
      hierarchies: compiled.hierarchies,
      classification: compiled.classification,
    }),
  );
  for (const [name, fn] of Object.entries(options.functions ?? {}))
    engine.registerFunction(name, fn);
  const errors: NautilusError[] = [];
  for (const unit of compiled.units) {
    try {
      if (unit.kind === 'clp') {
        // A .clp file's unqualified constructs belong to MAIN, as when CLIPS loads a file.
        engine.currentModule = engine.moduleNamed('MAIN');
        engine.compileModule = engine.currentModule;
      }
      engine.build(unit.text, unit.origin.file);
    } catch (x) {
      if (!(x instanceof EngineError)) throw x;
      errors.push(locate(x, unit));
    }
  }
  return errors;
}

function locate(x: EngineError, unit: CompiledUnit): NautilusError {
  const at = x.detail.location;
  const origin = at === undefined ? undefined : unit.lines[at.line - 1];
  let location = origin ?? unit.origin;
  if (unit.verbatim && origin !== undefined && at !== undefined)
    location = { ...origin, column: (origin.column ?? 1) - 1 + at.column };
  const construct = unit.kind === 'defrule' ? `rule ${unit.name}` : `${unit.kind} ${unit.name}`;
  return rulesError('NAU_RULES_BUILD', `${x.reason} [${x.code}]`, { location, construct });
}
