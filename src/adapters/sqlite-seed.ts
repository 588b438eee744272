// Creating a missing SQLite source file from seed SQL. The seed runs on a separate, writable
// connection to a temporary file beside the target, which is then hard-linked into place: the
// link fails if the target appeared meanwhile (another process seeded it), so nobody ever sees a
// half-seeded database and an existing file is never written to.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AdapterFailure } from './failure.ts';

/** Returns true when it created the file, false when the file already existed. */
export function seedDatabaseIfMissing(sourceId: string, file: string, seedSql: string): boolean {
  if (existsSync(file)) return false;
  const tmp = `${file}.seed-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(tmp);
    try {
      db.exec(seedSql);
      // A single file: a read-only opener cannot create the -wal/-shm files WAL mode needs.
      db.pragma('journal_mode = DELETE');
    } finally {
      db.close();
    }
    try {
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    return true;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new AdapterFailure(
      'internal',
      sourceId,
      `seeding the database from seed_sql failed (${typeof code === 'string' ? code : 'error'})`,
      { code: 'NAU_ADAPTER_SEED', cause: e },
    );
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
  }
}
