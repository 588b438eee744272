// SQLite source: one table, opened read-only (`readonly`, `fileMustExist`, `query_only`), queried
// on a worker thread (see sqlite-runner.ts for how deadlines work and what they cannot do).
import { existsSync, readFileSync } from 'node:fs';
import { AdapterFailure, toAdapterFailure } from './failure.ts';
import { parseTableName, quoteTableName } from './identifiers.ts';
import { requireScope } from './scope.ts';
import { type CommonSpec, resolveCommon, specError } from './spec.ts';
import { buildSelect, buildWhere } from './sql-where.ts';
import { SqliteRunner } from './sqlite-runner.ts';
import { seedDatabaseIfMissing } from './sqlite-seed.ts';
import type {
  Adapter,
  AdapterContext,
  AdapterHealth,
  AdapterIntent,
  AdapterResult,
  ScopeConstraint,
  SourceSpec,
} from './types.ts';

export class SqliteAdapter implements Adapter {
  readonly sourceId: string;
  private readonly spec: CommonSpec;
  private readonly table: readonly string[];
  private readonly seedSql: string | undefined;
  private readonly seedSqlFile: string | undefined;
  private runner: SqliteRunner | undefined;
  private connecting: Promise<SqliteRunner> | undefined;
  private closed = false;

  constructor(spec: SourceSpec) {
    this.spec = resolveCommon(spec);
    this.sourceId = this.spec.id;
    const id = this.sourceId;
    if (typeof spec.table !== 'string') throw specError(id, 'table', 'is required for sqlite');
    const table = parseTableName(spec.table);
    if (table === undefined)
      throw specError(id, 'table', `${JSON.stringify(spec.table)} is not a table or schema.table`);
    this.table = table;
    if (spec.seedSql != null && spec.seedSqlFile != null)
      throw specError(id, 'seed_sql', 'give the seed SQL as text or as a file, not both');
    this.seedSql = spec.seedSql ?? undefined;
    this.seedSqlFile = spec.seedSqlFile ?? undefined;
    if (this.spec.connection === ':memory:' && this.seedSql === undefined && !this.seedSqlFile)
      throw specError(id, 'seed_sql', 'an in-memory (:memory:) source needs seed SQL');
  }

  async connect(): Promise<void> {
    await this.ready();
  }

  async execute(
    _intent: AdapterIntent,
    scope: readonly ScopeConstraint[],
    ctx: AdapterContext,
  ): Promise<AdapterResult> {
    try {
      // Validate before connecting: a refused scope never reaches the database.
      const constraints = requireScope(
        scope,
        { id: this.sourceId, type: 'sqlite', allowedColumns: this.spec.allowedColumns },
        ctx.now(),
      );
      const runner = await this.ready();
      const where = buildWhere(constraints, 'sqlite');
      const { maxRows } = this.spec;
      const q = buildSelect(
        quoteTableName(this.table),
        this.spec.allowedColumns,
        where,
        maxRows,
        'sqlite',
      );
      const fields = [...new Set(constraints.map((c) => c.field))];
      const rows = await runner.query(q.sql, q.params, fields, this.spec.timeoutMs, ctx.signal);
      const truncated = rows.length > maxRows;
      if (truncated) rows.length = maxRows;
      return { records: rows, truncated, scopeApplied: where.applied };
    } catch (e) {
      throw toAdapterFailure(e, this.sourceId);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const runner = this.runner;
    this.runner = undefined;
    this.connecting = undefined;
    await runner?.close();
  }

  async health(): Promise<AdapterHealth> {
    try {
      const runner = await this.ready();
      await runner.ping(this.spec.timeoutMs, new AbortController().signal);
      return { ok: true };
    } catch (e) {
      return { ok: false, detail: toAdapterFailure(e, this.sourceId).message };
    }
  }

  private ready(): Promise<SqliteRunner> {
    if (this.closed)
      return Promise.reject(new AdapterFailure('internal', this.sourceId, 'the adapter is closed'));
    if (this.connecting === undefined) {
      const attempt = this.open();
      this.connecting = attempt;
      // A failed attempt is forgotten, so the next request tries again (the file may appear).
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async open(): Promise<SqliteRunner> {
    const id = this.sourceId;
    const file = this.spec.connection;
    const memory = file === ':memory:';
    // The seed is read only when it will be used: an existing file is never re-seeded.
    const seed = memory || !existsSync(file) ? this.readSeed() : undefined;
    if (!memory && seed !== undefined) seedDatabaseIfMissing(id, file, seed);
    const runner = new SqliteRunner({
      sourceId: id,
      file,
      seedSql: seed ?? null,
      table: this.table,
      busyTimeoutMs: this.spec.timeoutMs,
    });
    try {
      const columns = await runner.open();
      const tableName = this.table.join('.');
      if (columns.length === 0)
        throw new AdapterFailure(
          'internal',
          id,
          `table ${tableName} does not exist in the database`,
          {
            code: 'NAU_ADAPTER_SCHEMA',
          },
        );
      const have = new Set(columns.map((c) => c.toLowerCase()));
      const missing = (this.spec.allowedColumns ?? []).filter((c) => !have.has(c.toLowerCase()));
      if (missing.length > 0)
        throw new AdapterFailure(
          'internal',
          id,
          `allowed_columns names ${missing.join(', ')}, which table ${tableName} does not have`,
          { code: 'NAU_ADAPTER_SCHEMA' },
        );
    } catch (e) {
      await runner.close();
      throw e;
    }
    if (this.closed) {
      await runner.close();
      throw new AdapterFailure('internal', id, 'the adapter is closed');
    }
    this.runner = runner;
    return runner;
  }

  private readSeed(): string | undefined {
    if (this.seedSqlFile === undefined) return this.seedSql;
    try {
      return readFileSync(this.seedSqlFile, 'utf8');
    } catch (e) {
      throw new AdapterFailure('internal', this.sourceId, 'cannot read the seed_sql file', {
        code: 'NAU_ADAPTER_SEED',
        cause: e,
      });
    }
  }
}
