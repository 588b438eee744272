// SQL identifiers. Only plain names are accepted (no quoting tricks, no dots inside a name), and
// every accepted name is double-quoted when it is put into SQL, so keywords and case are safe.

/** A SQL column or table name: letters, digits and `_`, not starting with a digit. */
export const SQL_IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** PostgreSQL truncates names to 63 bytes (NAMEDATALEN - 1); longer names would alias. */
export const SQL_IDENTIFIER_MAX = 63;
/** REST field and parameter names may also hold `.` and `-` (`user.id`, `x-team`). */
export const REST_FIELD_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const REST_FIELD_MAX = 128;

export function isSqlIdentifier(name: string): boolean {
  return name.length <= SQL_IDENTIFIER_MAX && SQL_IDENTIFIER_RE.test(name);
}

/** `"name"` for a validated identifier; throws on anything else (callers validate first). */
export function quoteIdentifier(name: string): string {
  if (!isSqlIdentifier(name))
    throw new Error(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** `table` or `schema.table` split into validated parts; undefined when malformed. */
export function parseTableName(table: string): readonly string[] | undefined {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every(isSqlIdentifier)) return undefined;
  return parts;
}

/** `"schema"."table"`. */
export function quoteTableName(parts: readonly string[]): string {
  return parts.map(quoteIdentifier).join('.');
}
