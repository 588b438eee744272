// Errors of the rules front-end. Every one is a NautilusError whose message names the file, line
// and column, the construct (rule, template, ...) and the field path, so `nautilus rules check`
// can print a list an author can act on without opening a debugger.
import { type ErrorLocation, formatErrorLocation, NautilusError } from '../errors.ts';

export type RulesErrorCode =
  | 'NAU_RULES_IO'
  | 'NAU_RULES_YAML'
  | 'NAU_RULES_UNKNOWN_KEY'
  | 'NAU_RULES_INVALID'
  | 'NAU_RULES_DUPLICATE'
  | 'NAU_RULES_UNKNOWN_REFERENCE'
  | 'NAU_RULES_UNBOUND_VARIABLE'
  | 'NAU_RULES_EXPRESSION'
  | 'NAU_RULES_TYPE'
  | 'NAU_RULES_FOCUS'
  | 'NAU_RULES_BUILD';

/** Where an error is: a file position plus what was being read there. */
export interface Where {
  readonly location: ErrorLocation;
  /** The construct, e.g. `rule deny-purpose-mismatch` or `template agent`. */
  readonly construct?: string;
  /** Field path inside the file, e.g. `rules[0].when[1].conditions[0].expression`. */
  readonly path?: string;
}

export function rulesError(code: RulesErrorCode, reason: string, where: Where): NautilusError {
  const parts = [formatErrorLocation(where.location)];
  const context = [where.construct, where.path].filter((s) => s !== undefined && s !== '');
  if (context.length > 0) parts.push(context.join(', '));
  parts.push(reason);
  return new NautilusError(code, parts.join(': '), 400, {
    location: where.location,
    reason,
    ...(where.construct === undefined ? {} : { construct: where.construct }),
    ...(where.path === undefined ? {} : { path: where.path }),
  });
}

/** Errors in file order (then line, column), so a listing reads top to bottom. */
export function sortErrors(errors: readonly NautilusError[]): NautilusError[] {
  const key = (e: NautilusError) => e.detail.location ?? { file: '' };
  return [...errors].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x.file !== y.file) return x.file < y.file ? -1 : 1;
    return (x.line ?? 0) - (y.line ?? 0) || (x.column ?? 0) - (y.column ?? 0);
  });
}

/** One error carrying a list of others (what `installRules` throws when a build fails). */
export function aggregateError(
  code: RulesErrorCode,
  summary: string,
  errors: readonly NautilusError[],
): NautilusError {
  const lines = errors.map((e) => `  [${e.code}] ${e.message}`);
  return new NautilusError(code, [summary, ...lines].join('\n'), 400, { errors });
}
