// Classification level names in the config (source classifications, agent clearances, the
// unregistered clearance) can only be checked once the rule set's hierarchy is known. The
// broker calls this after loading the rules, and gets the same located problems as the loader.
import type { ErrorLocation } from '../errors.ts';
import { type ConfigPath, type ConfigProblem, invalidConfig, problemAt } from './problems.ts';
import { didYouMean } from './suggest.ts';
import type { NautilusConfig } from './types.ts';

type Locatable = NautilusConfig & {
  readonly file?: string;
  locate?(path: ConfigPath): ErrorLocation;
};

/** Throws NAU_CONFIG_INVALID naming every level that is not in `levels`. */
export function checkConfigLevels(config: Locatable, levels: readonly string[]): void {
  const file = config.file ?? '<config>';
  const known = new Set(levels);
  const problems: ConfigProblem[] = [];
  const check = (path: ConfigPath, level: string, what: string) => {
    if (known.has(level)) return;
    const where = config.locate?.(path) ?? { file };
    problems.push(
      problemAt(
        path,
        where,
        `${what} ${level} is not a level of the classification hierarchy (${levels.join(', ')})${didYouMean(level, levels)}`,
      ),
    );
  };
  config.sources.forEach((s, i) => {
    check(['sources', i, 'classification'], s.classification, 'classification');
  });
  config.agents.registered.forEach((a, i) => {
    check(['agents', 'registered', i, 'clearance'], a.clearance, 'clearance');
  });
  if (config.agents.allow_unregistered)
    check(['agents', 'unregistered_clearance'], config.agents.unregistered_clearance, 'clearance');
  if (problems.length > 0) throw invalidConfig(file, problems);
}
