// Checked constraints -> a WHERE clause. Field names come from the validated constraint list and
// are double-quoted; every value is a bound parameter, never text in the SQL.
import { quoteIdentifier } from './identifiers.ts';
import type { CheckedConstraint } from './scope.ts';
import type { ScopeScalar } from './types.ts';

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlWhere {
  /** `"a" = ? AND "b" IN (?, ?)` (sqlite) or `"a" = $1 AND ...` (postgres); '' for no scope. */
  readonly sql: string;
  readonly params: unknown[];
  /** One human-readable clause per constraint, numbered `$1...` in both dialects. */
  readonly applied: string[];
}

const COMPARISON: Record<string, string> = {
  '=': '=',
  '!=': '<>',
  '<': '<',
  '>': '>',
  '<=': '<=',
  '>=': '>=',
  LIKE: 'LIKE',
};

/** better-sqlite3 cannot bind booleans; SQLite stores them as 1 and 0 anyway. */
function bindable(v: ScopeScalar, dialect: SqlDialect): unknown {
  if (dialect === 'sqlite' && typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

export function buildWhere(
  constraints: readonly CheckedConstraint[],
  dialect: SqlDialect,
): SqlWhere {
  const params: unknown[] = [];
  const clauses: string[] = [];
  const applied: string[] = [];
  const bind = (v: ScopeScalar) => {
    params.push(bindable(v, dialect));
    const n = params.length;
    return { sql: dialect === 'postgres' ? `$${n}` : '?', label: `$${n}` };
  };
  for (const c of constraints) {
    const col = quoteIdentifier(c.field);
    const shown = `[${c.values.map(String).join(', ')}]`;
    switch (c.operator) {
      case 'IS NULL':
      case 'IS NOT NULL':
        clauses.push(`${col} ${c.operator}`);
        applied.push(`${c.field} ${c.operator}`);
        break;
      case 'IN':
      case 'NOT IN': {
        const ps = c.values.map(bind);
        clauses.push(`${col} ${c.operator} (${ps.map((p) => p.sql).join(', ')})`);
        applied.push(`${c.field} ${c.operator} (${ps.map((p) => p.label).join(', ')}) ${shown}`);
        break;
      }
      case 'BETWEEN': {
        const [lo, hi] = c.values.map(bind);
        clauses.push(`${col} BETWEEN ${lo!.sql} AND ${hi!.sql}`);
        applied.push(`${c.field} BETWEEN ${lo!.label} AND ${hi!.label} ${shown}`);
        break;
      }
      default: {
        const p = bind(c.values[0]!);
        clauses.push(`${col} ${COMPARISON[c.operator]} ${p.sql}`);
        applied.push(`${c.field} ${c.operator} ${p.label} ${shown}`);
      }
    }
  }
  return { sql: clauses.join(' AND '), params, applied };
}

/** `SELECT <cols> FROM <table> [WHERE ...] LIMIT <maxRows + 1>` (one extra row detects truncation). */
export function buildSelect(
  quotedTable: string,
  columns: readonly string[] | null | undefined,
  where: SqlWhere,
  maxRows: number,
  dialect: SqlDialect,
): { sql: string; params: unknown[] } {
  const cols =
    columns === null || columns === undefined ? '*' : columns.map(quoteIdentifier).join(', ');
  const params = [...where.params, maxRows + 1];
  const limit = dialect === 'postgres' ? `$${params.length}` : '?';
  const filter = where.sql === '' ? '' : ` WHERE ${where.sql}`;
  return { sql: `SELECT ${cols} FROM ${quotedTable}${filter} LIMIT ${limit}`, params };
}
