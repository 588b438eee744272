// Building blocks shared by the nautilus.yaml schemas: name formats with readable messages, and
// section/list helpers that treat an empty YAML value (`agents:` with nothing under it) as
// "use the defaults", which is what someone who writes a bare section header means.
import * as z from 'zod';

/** Source ids, key ids, pattern names: `^[A-Za-z_][A-Za-z0-9_-]*$`. */
export const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/**
 * Vocabulary values the rules see as CLIPS symbols (classification levels, compartments, data
 * types, purposes): a letter or _ first (so CLIPS never reads a number), then letters, digits,
 * `_`, `-` or `.`.
 */
export const SYMBOL_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Agent ids are strings in the rules, so they may also hold `.`, `:` and `@` (`svc:team@x`). */
export const AGENT_ID_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$/;
/** SQL column names (scope fields, allowed_columns of sqlite/postgres sources). */
export const SQL_COLUMN_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** SQL table names, optionally schema-qualified (`audit.vulns`). */
export const SQL_TABLE_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
/** Field names of REST sources (query parameters, record fields): also `.` and `-`. */
export const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export const identifier = (what: string) =>
  z
    .string()
    .regex(
      IDENTIFIER_RE,
      `${what} must start with a letter or _ and hold only letters, digits, _ and -`,
    );

export const symbolName = (what: string) =>
  z
    .string()
    .regex(
      SYMBOL_RE,
      `${what} must start with a letter or _ and hold only letters, digits, _, - and .`,
    );

export const agentId = () =>
  z
    .string()
    .max(200, 'an agent id is at most 200 characters long')
    .regex(
      AGENT_ID_RE,
      'an agent id must start with a letter, digit or _ and hold only letters, digits, _, -, ., : and @',
    );

export const nonEmptyString = () => z.string().min(1);

const nullToUndefined = (v: unknown) => (v === null ? undefined : v);

/** A mapping whose keys all have defaults: absent or empty means every default. */
export function section<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.preprocess(nullToUndefined, z.strictObject(shape).prefault({} as never));
}

/** A list that defaults to empty (absent or an empty YAML value). */
export function list<T extends z.ZodType>(item: T) {
  return z.preprocess(
    nullToUndefined,
    z.array(item).default(() => []),
  );
}

/** Rejects repeated entries of a list of strings, naming the repeated value. */
export function unique<T extends z.ZodType<readonly string[]>>(schema: T, what: string) {
  return schema.superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item))
        ctx.addIssue({ code: 'custom', path: [i], message: `${what} ${item} is listed twice` });
      seen.add(item);
    });
  });
}

/** An optional path or value whose absence means "derive a default" (resolved later). */
export const optionalPath = () => nonEmptyString().nullable().default(null);
