// Versioned schema of the PostgreSQL session tables. All migrations run in one transaction that
// first takes a transaction-level advisory lock, so processes starting together apply each
// migration exactly once (and never race on CREATE TABLE). A schema newer than the last version
// known here is refused, untouched.
import type pg from 'pg';
import { schemaTooNew } from './errors.ts';
import { PG_LABEL } from './postgres-errors.ts';
import { MIGRATION_LOCK_ID, NAUTILUS_LOCK_CLASS } from './postgres-lock-keys.ts';

export interface PgMigration {
  /** 1, 2, 3, … without gaps. */
  readonly version: number;
  readonly name: string;
  /** One or more statements (no parameters). */
  readonly sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'create nautilus_sessions',
    sql: `
      CREATE TABLE nautilus_sessions (
        session_id text PRIMARY KEY,
        status     text NOT NULL CHECK (status IN ('open', 'closed')),
        state      jsonb NOT NULL,
        version    bigint NOT NULL CHECK (version >= 1),
        wal_lsn    bigint NOT NULL DEFAULT 0 CHECK (wal_lsn >= 0),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        closed_at  timestamptz,
        CHECK ((status = 'closed') = (closed_at IS NOT NULL))
      );
      CREATE INDEX nautilus_sessions_open_by_updated
        ON nautilus_sessions (updated_at) WHERE status = 'open';`,
  },
];

export interface PgMigrationOutcome {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly number[];
}

export async function migratePostgres(
  client: pg.ClientBase,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<PgMigrationOutcome> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `PostgreSQL migration list: entry ${i} has version ${m.version}, expected ${i + 1}`,
      );
  });
  const known = migrations.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::int4, $2::int4)', [
      NAUTILUS_LOCK_CLASS,
      MIGRATION_LOCK_ID,
    ]);
    await client.query(`CREATE TABLE IF NOT EXISTS nautilus_schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const res = await client.query<{ v: number }>(
      'SELECT coalesce(max(version), 0)::int4 AS v FROM nautilus_schema_migrations',
    );
    const from = res.rows[0]?.v ?? 0;
    if (from > known) throw schemaTooNew('postgres', PG_LABEL, from, known);
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= from) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO nautilus_schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return { from, to: Math.max(from, known), applied };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
