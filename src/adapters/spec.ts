// SourceSpec defaults and the checks every adapter shares. The config loader validates the same
// keys; adapters check again because they can be built from code, and a bad limit or column name
// here would otherwise surface as a driver error at query time.
import { NautilusError } from '../errors.ts';
import { isSqlIdentifier, REST_FIELD_MAX, REST_FIELD_RE } from './identifiers.ts';
import type { SourceKind, SourceSpec } from './types.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_ROWS = 1000;
export const MAX_TIMEOUT_MS = 600_000;
export const MAX_MAX_ROWS = 1_000_000;

export interface CommonSpec {
  readonly id: string;
  readonly type: SourceKind;
  readonly connection: string;
  readonly timeoutMs: number;
  readonly maxRows: number;
  /** null: every column. */
  readonly allowedColumns: readonly string[] | null;
}

/** NAU_ADAPTER_CONFIG naming the source and the config key (snake_case, as operators write it). */
export function specError(id: string, key: string, problem: string): NautilusError {
  return new NautilusError('NAU_ADAPTER_CONFIG', `source ${id}: ${key}: ${problem}`, 500, {
    source_id: id,
    key,
  });
}

function intIn(id: string, key: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max)
    throw specError(id, key, `must be a whole number from 1 to ${max}, got ${v}`);
  return v;
}

export function resolveCommon(spec: SourceSpec): CommonSpec {
  const id = spec.id;
  if (typeof id !== 'string' || id === '')
    throw new NautilusError('NAU_ADAPTER_CONFIG', 'source id must be a non-empty string', 500);
  if (typeof spec.connection !== 'string' || spec.connection === '')
    throw specError(id, 'connection', 'must be a non-empty string');
  const timeoutMs = intIn(id, 'timeout_ms', spec.timeoutMs ?? DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS);
  const maxRows = intIn(id, 'max_rows', spec.maxRows ?? DEFAULT_MAX_ROWS, MAX_MAX_ROWS);
  let allowedColumns: readonly string[] | null = null;
  if (spec.allowedColumns !== undefined && spec.allowedColumns !== null) {
    if (spec.allowedColumns.length === 0)
      throw specError(id, 'allowed_columns', 'is empty; leave it out to allow every column');
    const ok =
      spec.type === 'rest'
        ? (c: string) => c.length <= REST_FIELD_MAX && REST_FIELD_RE.test(c)
        : isSqlIdentifier;
    for (const c of spec.allowedColumns)
      if (typeof c !== 'string' || !ok(c))
        throw specError(id, 'allowed_columns', `${JSON.stringify(c)} is not a plain column name`);
    if (new Set(spec.allowedColumns).size !== spec.allowedColumns.length)
      throw specError(id, 'allowed_columns', 'lists a column twice');
    allowedColumns = [...spec.allowedColumns];
  }
  return { id, type: spec.type, connection: spec.connection, timeoutMs, maxRows, allowedColumns };
}
