// PostgreSQL source: one table (or schema.table) behind a small pg Pool. Every query runs in
// `BEGIN READ ONLY` with a transaction-local statement_timeout, values only as $n parameters,
// identifiers validated and double-quoted. A client-side deadline (timeout + grace) covers what
// statement_timeout cannot: waiting for a pooled connection and a server that stops answering;
// when it fires, the connection is destroyed, never returned to the pool mid-query.
import pg from 'pg';
import { AdapterFailure, toAdapterFailure } from './failure.ts';
import { parseTableName, quoteTableName } from './identifiers.ts';
import { pgFailure } from './postgres-errors.ts';
import { requireScope } from './scope.ts';
import { type CommonSpec, resolveCommon, specError } from './spec.ts';
import { buildSelect, buildWhere } from './sql-where.ts';
import type {
  Adapter,
  AdapterContext,
  AdapterHealth,
  AdapterIntent,
  AdapterResult,
  ScopeConstraint,
  SourceSpec,
} from './types.ts';

/** Extra time the client waits past statement_timeout for the server's own cancellation. */
export const CLIENT_GRACE_MS = 1000;

/** pg_type oid of DATE. */
const DATE_OID = 1082;

export interface PostgresAdapterOptions {
  /** Connections per source (default 4). */
  readonly poolSize?: number;
}

export class PostgresAdapter implements Adapter {
  readonly sourceId: string;
  private readonly spec: CommonSpec;
  private readonly quotedTable: string;
  private readonly poolSize: number;
  private pool: pg.Pool | undefined;
  private checked: Promise<void> | undefined;
  private closed = false;

  constructor(spec: SourceSpec, options: PostgresAdapterOptions = {}) {
    this.spec = resolveCommon(spec);
    this.sourceId = this.spec.id;
    if (typeof spec.table !== 'string')
      throw specError(this.sourceId, 'table', 'is required for postgres');
    const parts = parseTableName(spec.table);
    if (parts === undefined)
      throw specError(
        this.sourceId,
        'table',
        `${JSON.stringify(spec.table)} is not a table or schema.table`,
      );
    this.quotedTable = quoteTableName(parts);
    this.poolSize = options.poolSize ?? 4;
  }

  /** Creates the pool and checks the table and allowed_columns exist. Retried on the next call. */
  async connect(): Promise<void> {
    if (this.closed) throw new AdapterFailure('internal', this.sourceId, 'the adapter is closed');
    if (this.checked === undefined) {
      const attempt = this.checkSchema();
      this.checked = attempt;
      attempt.catch(() => {
        if (this.checked === attempt) this.checked = undefined;
      });
    }
    await this.checked;
  }

  async execute(
    _intent: AdapterIntent,
    scope: readonly ScopeConstraint[],
    ctx: AdapterContext,
  ): Promise<AdapterResult> {
    try {
      const constraints = requireScope(
        scope,
        { id: this.sourceId, type: 'postgres', allowedColumns: this.spec.allowedColumns },
        ctx.now(),
      );
      await this.connect();
      const where = buildWhere(constraints, 'postgres');
      const { maxRows } = this.spec;
      const q = buildSelect(this.quotedTable, this.spec.allowedColumns, where, maxRows, 'postgres');
      const rows = await this.readOnly(q.sql, q.params, ctx.signal);
      const truncated = rows.length > maxRows;
      if (truncated) rows.length = maxRows;
      return { records: rows, truncated, scopeApplied: where.applied };
    } catch (e) {
      throw toAdapterFailure(e, this.sourceId);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  async health(): Promise<AdapterHealth> {
    try {
      await this.connect();
      await this.readOnly('SELECT 1', [], new AbortController().signal);
      return { ok: true };
    } catch (e) {
      return { ok: false, detail: toAdapterFailure(e, this.sourceId).message };
    }
  }

  private getPool(): pg.Pool {
    if (this.pool === undefined) {
      const pool = new pg.Pool({
        connectionString: this.spec.connection,
        max: this.poolSize,
        connectionTimeoutMillis: this.spec.timeoutMs,
        idleTimeoutMillis: 30_000,
        application_name: 'nautilus',
        allowExitOnIdle: true,
        // A DATE is a calendar day: keep it as the text PostgreSQL sends ('2026-11-20'). The
        // default parser makes a Date at local midnight, which shifts the day outside UTC.
        types: {
          getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
            oid === DATE_OID
              ? (v: string) => v
              : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
        },
      });
      // An idle client losing its server emits here; unhandled, it would crash the process.
      pool.on('error', () => {});
      this.pool = pool;
    }
    return this.pool;
  }

  private async checkSchema(): Promise<void> {
    const rows = await this.readOnly(
      `SELECT a.attname AS name FROM pg_attribute a
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      [this.quotedTable],
      new AbortController().signal,
    );
    const columns = new Set(rows.map((r) => String(r.name)));
    if (columns.size === 0)
      throw new AdapterFailure(
        'internal',
        this.sourceId,
        `table ${this.quotedTable} does not exist (or has no columns)`,
        { code: 'NAU_ADAPTER_SCHEMA' },
      );
    const missing = (this.spec.allowedColumns ?? []).filter((c) => !columns.has(c));
    if (missing.length > 0)
      throw new AdapterFailure(
        'internal',
        this.sourceId,
        `allowed_columns names ${missing.join(', ')}, which table ${this.quotedTable} does not have`,
        { code: 'NAU_ADAPTER_SCHEMA' },
      );
  }

  /** One statement in a read-only transaction, under the source deadline. */
  private readOnly(
    sql: string,
    params: readonly unknown[],
    signal: AbortSignal,
  ): Promise<Record<string, unknown>[]> {
    const id = this.sourceId;
    const timeoutMs = this.spec.timeoutMs;
    if (this.closed)
      return Promise.reject(new AdapterFailure('internal', id, 'the adapter is closed'));
    if (signal.aborted)
      return Promise.reject(new AdapterFailure('timeout', id, 'the request was cancelled'));
    const pool = this.getPool();
    let client: pg.PoolClient | undefined;
    let settled = false;
    let released = false;
    const release = (destroy: boolean) => {
      if (client === undefined || released) return;
      released = true;
      client.release(destroy ? true : undefined);
    };

    return new Promise((resolve, reject) => {
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const expire = (text: string) =>
        finish(() => {
          release(true);
          reject(new AdapterFailure('timeout', id, text));
        });
      const timer = setTimeout(
        () => expire(`the query did not finish within ${timeoutMs} ms`),
        timeoutMs + CLIENT_GRACE_MS,
      );
      const onAbort = () => expire('the request was cancelled before the query finished');
      signal.addEventListener('abort', onAbort, { once: true });

      const work = async () => {
        const c = await pool.connect();
        client = c;
        if (settled) {
          release(false);
          return;
        }
        try {
          await c.query('BEGIN READ ONLY');
          await c.query("SELECT set_config('statement_timeout', $1, true)", [String(timeoutMs)]);
          const res = await c.query<Record<string, unknown>>(sql, params as unknown[]);
          await c.query('COMMIT');
          release(false);
          finish(() => resolve(res.rows));
        } catch (e) {
          // After any error the session state is unknown: drop the connection, do not reuse it.
          release(true);
          throw e;
        }
      };
      work().catch((e: unknown) => finish(() => reject(pgFailure(e, id))));
    });
  }
}
