// Versioned schema of the SQLite session database. Migrations are an ordered list applied in
// one BEGIN IMMEDIATE transaction (so two processes opening the file together apply each once)
// and recorded in schema_migrations. A database whose version is above the last one known here
// was written by a newer Nautilus and is refused, untouched.
import type Database from 'better-sqlite3';
import { schemaTooNew } from './errors.ts';
import { sqliteFailure } from './sqlite-errors.ts';

export interface SqliteMigration {
  /** 1, 2, 3, … without gaps. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'create sessions',
    sql: `
      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY NOT NULL,
        status     TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        state      TEXT NOT NULL CHECK (json_valid(state)),
        version    INTEGER NOT NULL CHECK (version >= 1),
        wal_lsn    INTEGER NOT NULL DEFAULT 0 CHECK (wal_lsn >= 0),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        closed_at  TEXT,
        CHECK ((status = 'closed') = (closed_at IS NOT NULL))
      ) STRICT;
      CREATE INDEX sessions_open_by_updated ON sessions (updated_at) WHERE status = 'open';`,
  },
];

export interface MigrationOutcome {
  /** Schema version found before migrating (0 = new database). */
  readonly from: number;
  readonly to: number;
  readonly applied: readonly number[];
}

/** Brings `db` to the last version of `migrations`. `path` names the file in errors. */
export function migrateSqlite(
  db: Database.Database,
  path: string,
  migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS,
): MigrationOutcome {
  checkList(migrations);
  const known = migrations.at(-1)?.version ?? 0;
  const run = db.transaction((): MigrationOutcome => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY NOT NULL,
      name       TEXT NOT NULL,
      applied_at TEXT NOT NULL
    ) STRICT`);
    const row = db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as
      | { v: number }
      | undefined;
    const from = row?.v ?? 0;
    if (from > known) throw schemaTooNew('sqlite', `session store ${path}`, from, known);
    const record = db.prepare(
      'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= from) continue;
      try {
        db.exec(m.sql);
      } catch (e) {
        throw sqliteFailure(path, `apply schema migration ${m.version} (${m.name})`, e);
      }
      record.run(m.version, m.name, new Date().toISOString());
      applied.push(m.version);
    }
    return { from, to: Math.max(from, known), applied };
  });
  return run.immediate();
}

function checkList(migrations: readonly SqliteMigration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `SQLite migration list: entry ${i} has version ${m.version}, expected ${i + 1}`,
      );
  });
}
