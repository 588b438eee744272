// The shared pipeline from YAML text to a validated value: parse (duplicate keys refused),
// interpolate environment variables, type interpolated values by their key, validate with a zod
// schema, run cross-field checks, and throw every problem at once with file:line:column.
import { LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod';
import type { ErrorLocation } from '../errors.ts';
import type { CrossProblem } from './cross-checks.ts';
import { type Env, interpolateDocument } from './interpolate.ts';
import { issueProblems } from './issues.ts';
import { ConfigLocator } from './locator.ts';
import {
  type ConfigPath,
  type ConfigProblem,
  configSyntax,
  formatPath,
  invalidConfig,
  problemAt,
} from './problems.ts';
import { scalarKindAt, valueAt } from './schema-walk.ts';

const NUMBER = /^[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;

/** `port: ${PORT}` reads as a string; where the key wants a number or boolean, convert it. */
function typeSubstituted(schema: z.ZodType, data: unknown, paths: readonly ConfigPath[]) {
  for (const path of paths) {
    const text = valueAt(data, path);
    const parent = valueAt(data, path.slice(0, -1));
    const last = path.at(-1);
    if (typeof text !== 'string' || last === undefined || typeof parent !== 'object' || !parent)
      continue;
    const kind = scalarKindAt(schema, path, data);
    const target = parent as Record<string | number, unknown>;
    if (kind === 'number' && NUMBER.test(text.trim())) target[last] = Number(text.trim());
    else if (kind === 'boolean' && (text === 'true' || text === 'false'))
      target[last] = text === 'true';
  }
}

export interface Validated<T> {
  readonly value: T;
  readonly locator: ConfigLocator;
}

/** Runs schema validation and cross checks on plain data; returns the problems found. */
export function collectProblems<T>(
  schema: z.ZodType<T>,
  data: unknown,
  locate: (path: ConfigPath) => ErrorLocation,
  locateKey: (path: ConfigPath) => ErrorLocation,
  cross: ((data: unknown) => CrossProblem[]) | undefined,
  substituted: ReadonlySet<string> = new Set(),
): { problems: ConfigProblem[]; value?: T } {
  const problems: ConfigProblem[] = [];
  const result = schema.safeParse(data, { reportInput: true });
  if (!result.success)
    for (const issue of result.error.issues)
      problems.push(...issueProblems(issue, { schema, data, locate, locateKey, substituted }));
  for (const c of cross?.(data) ?? []) problems.push(problemAt(c.path, locate(c.path), c.message));
  return result.success ? { problems, value: result.data } : { problems };
}

export function validateYaml<T>(
  schema: z.ZodType<T>,
  text: string,
  file: string,
  env: Env,
  cross?: (data: unknown) => CrossProblem[],
): Validated<T> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const locator = new ConfigLocator(file, doc, lines);
  const problems: ConfigProblem[] = [];
  const syntax: ConfigProblem[] = [];
  for (const e of doc.errors) {
    const pos = lines.linePos(e.pos[0]);
    const where = { file, line: pos.line, column: pos.col };
    if (e.code === 'DUPLICATE_KEY') {
      const path = locator.pathAt(e.pos[0]);
      const first = locator.locateKey(path);
      problems.push(
        problemAt(
          path,
          where,
          `duplicate key ${String(path.at(-1) ?? '')} (first written at line ${first.line})`,
        ),
      );
    } else syntax.push(problemAt([], where, e.message.split('\n')[0] ?? e.code));
  }
  if (syntax.length > 0) throw configSyntax(file, syntax);

  const interpolation = interpolateDocument(doc, env, locator);
  problems.push(...interpolation.problems);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw configSyntax(file, [problemAt([], { file }, (e as Error).message)]);
  }
  typeSubstituted(schema, data, interpolation.substituted);

  // A value whose variable is missing would also fail validation; report the cause only.
  const unresolved = new Set(interpolation.problems.map((p) => p.path));
  const found = collectProblems(
    schema,
    data,
    (p) => locator.locate(p),
    (p) => locator.locateKey(p),
    cross,
    new Set(interpolation.substituted.map(formatPath)),
  );
  problems.push(...found.problems.filter((p) => !unresolved.has(p.path)));
  if (problems.length > 0 || found.value === undefined) throw invalidConfig(file, problems);
  return { value: found.value, locator };
}
