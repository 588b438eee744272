// Turns zod's validation issues into config problems with our own wording: the key at fault,
// what was expected, what was found, and a "did you mean" for misspelled keys and values.
// Values that came from environment variables are never echoed (they may be secrets).
import type * as z from 'zod';
import type { ErrorLocation } from '../errors.ts';
import { type ConfigPath, type ConfigProblem, formatPath, problemAt } from './problems.ts';
import { keysAt, schemaAt } from './schema-walk.ts';
import { didYouMean } from './suggest.ts';

export interface IssueContext {
  readonly schema: z.ZodType;
  readonly data: unknown;
  readonly locate: (path: ConfigPath) => ErrorLocation;
  readonly locateKey: (path: ConfigPath) => ErrorLocation;
  /** Formatted paths of values built from environment variables. */
  readonly substituted: ReadonlySet<string>;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  null: 'null',
};

function describe(input: unknown, fromEnv: boolean): string {
  if (fromEnv) return `a ${typeof input} built from environment variables`;
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') {
    const shown = input.length > 60 ? `${input.slice(0, 57)}...` : input;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof input === 'number' && !Number.isInteger(input)) return `the number ${input}`;
  return `${typeof input} ${String(input)}`;
}

const isIntegerSchema = (ctx: IssueContext, path: ConfigPath) => {
  const s = schemaAt(ctx.schema, path, ctx.data);
  return (s as unknown as { def?: { format?: string } } | undefined)?.def?.format === 'safeint';
};

const bound = (issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean }) =>
  String(issue.minimum ?? issue.maximum);

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const n = bound(issue as never);
  if (issue.origin === 'array' || issue.origin === 'set')
    return small && n === '1'
      ? 'must not be empty'
      : `must have ${small ? 'at least' : 'at most'} ${n} entries`;
  if (issue.origin === 'string')
    return small && n === '1'
      ? 'must not be empty'
      : `must be ${small ? 'at least' : 'at most'} ${n} characters long`;
  const strict = issue.inclusive === false;
  return small
    ? `must be ${strict ? 'greater than' : 'at least'} ${n}`
    : `must be ${strict ? 'less than' : 'at most'} ${n}`;
}

/** The problems one zod issue stands for (unknown-keys issues name several keys). */
export function issueProblems(issue: z.core.$ZodIssue, ctx: IssueContext): ConfigProblem[] {
  const path = issue.path as (string | number)[];
  const here = (message: string, at: ConfigPath = path) => problemAt(at, ctx.locate(at), message);
  const fromEnv = ctx.substituted.has(formatPath(path));
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const candidates = keysAt(ctx.schema, path, ctx.data);
      return issue.keys.map((key) => {
        const at = [...path, key];
        const owners = candidates.elsewhere.get(key);
        const message =
          owners !== undefined && candidates.discriminator !== undefined
            ? `${key} applies only when ${candidates.discriminator} is ${owners.join(' or ')}`
            : `unknown key${didYouMean(key, candidates.keys)}`;
        return problemAt(at, ctx.locateKey(at), message);
      });
    }
    case 'invalid_type': {
      const last = path.at(-1);
      if (input === undefined)
        return [here(last === undefined ? 'the file is empty' : `missing required key ${last}`)];
      const integer = issue.expected === 'number' && isIntegerSchema(ctx, path);
      const expected = integer ? 'an integer' : (EXPECTED[issue.expected] ?? issue.expected);
      if (path.length === 0)
        return [
          here(`the configuration must be a mapping of sections, got ${describe(input, false)}`),
        ];
      return [here(`expected ${expected}, got ${describe(input, fromEnv)}`)];
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const hint = typeof input === 'string' && !fromEnv ? didYouMean(input, values) : '';
      return [here(`expected one of ${values.join(', ')}, got ${describe(input, fromEnv)}${hint}`)];
    }
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
      if (disc !== undefined) {
        // zod puts the path of the discriminator key itself on this issue.
        const value =
          input !== null && typeof input === 'object'
            ? (input as Record<string, unknown>)[disc]
            : undefined;
        if (value === undefined)
          return [here(`missing required key ${disc} (one of ${options.join(', ')})`)];
        const hint = typeof value === 'string' ? didYouMean(value, options) : '';
        return [
          here(`expected one of ${options.join(', ')}, got ${describe(value, fromEnv)}${hint}`),
        ];
      }
      return [here(`does not match any accepted form, got ${describe(input, fromEnv)}`)];
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      const reason =
        inner?.code === 'invalid_format' || inner?.code === 'custom'
          ? inner.message
          : 'invalid key';
      return [problemAt(path, ctx.locateKey(path), reason)];
    }
    case 'too_small':
    case 'too_big':
      // Our schemas carry their own wording where the generic one would be vague.
      return [here(issue.message.startsWith('Too ') ? sizeMessage(issue) : issue.message)];
    default:
      return [here(issue.message)];
  }
}
