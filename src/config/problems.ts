// Config problems: what is wrong, at which config path, at which line and column. The loader
// gathers every problem of a file and throws them together as one NAU_CONFIG_INVALID error, so an
// operator fixes a file in one pass instead of one error per restart.
import { type ErrorLocation, formatErrorLocation, NautilusError } from '../errors.ts';

/** A path into the config: keys and list indexes, e.g. `['sources', 2, 'timeout_ms']`. */
export type ConfigPath = readonly (string | number)[];

export interface ConfigProblem {
  /** Display form of the path (`sources[2].timeout_ms`); '' for the whole file. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `sources[2].timeout_ms`; keys that are not plain names are quoted: `keyword_map["a b"]`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function problemAt(
  path: ConfigPath,
  location: ErrorLocation,
  message: string,
): ConfigProblem {
  return {
    path: formatPath(path),
    ...(location.line === undefined ? {} : { line: location.line }),
    ...(location.column === undefined ? {} : { column: location.column }),
    message,
  };
}

/** `file:line:col: path: message`, the line `nautilus config check` prints per problem. */
export function formatProblem(file: string, p: ConfigProblem): string {
  const where = formatErrorLocation({
    file,
    ...(p.line === undefined ? {} : { line: p.line }),
    ...(p.column === undefined ? {} : { column: p.column }),
  });
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

/** Problems in file order (those without a line last), each reported once. */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const rank = (p: ConfigProblem) => [p.line ?? Number.MAX_SAFE_INTEGER, p.column ?? 0] as const;
  return unique
    .map((p, i) => ({ p, i }))
    .sort((a, b) => {
      const [la, ca] = rank(a.p);
      const [lb, cb] = rank(b.p);
      return la - lb || ca - cb || a.i - b.i;
    })
    .map(({ p }) => p);
}

function problemError(
  code: 'NAU_CONFIG_INVALID' | 'NAU_CONFIG_SYNTAX',
  heading: string,
  file: string,
  problems: readonly ConfigProblem[],
): NautilusError {
  const sorted = sortProblems(problems);
  const first = sorted[0];
  const count = sorted.length === 1 ? '1 problem' : `${sorted.length} problems`;
  const lines = sorted.map((p) => formatProblem(file, p));
  return new NautilusError(code, `${heading} ${file} (${count}):\n${lines.join('\n')}`, 400, {
    file,
    problems: sorted,
    ...(first === undefined
      ? {}
      : {
          location: {
            file,
            ...(first.line === undefined ? {} : { line: first.line }),
            ...(first.column === undefined ? {} : { column: first.column }),
          },
        }),
  });
}

/** NAU_CONFIG_INVALID: the file parsed as YAML but its content breaks the schema. */
export function invalidConfig(file: string, problems: readonly ConfigProblem[]): NautilusError {
  return problemError('NAU_CONFIG_INVALID', 'invalid configuration', file, problems);
}

/** NAU_CONFIG_SYNTAX: the file is not well-formed YAML. */
export function configSyntax(file: string, problems: readonly ConfigProblem[]): NautilusError {
  return problemError('NAU_CONFIG_SYNTAX', 'YAML syntax error in configuration', file, problems);
}

/** NAU_CONFIG_UNREADABLE: the file cannot be read at all. */
export function unreadableConfig(file: string, reason: string): NautilusError {
  return new NautilusError(
    'NAU_CONFIG_UNREADABLE',
    `cannot read configuration file ${file}: ${reason}`,
    500,
    { file, location: { file } },
  );
}
