// Shared pieces of the broker-level WAL fault tests: a session world whose WAL runs on an
// in-memory FaultFs, and images of its SQLite session store taken at a chosen moment.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Broker } from '../../src/broker/index.ts';
import { scanWal, type WalFs } from '../../src/wal/index.ts';
import { type SessionWorld, sessionWorld } from './session-fixture.ts';

/** A session world with the WAL on (`extra`: more `persistence:` lines). */
export function walFaultWorld(extra = ''): SessionWorld {
  return sessionWorld({ persistence: `  wal_enabled: true\n${extra}` });
}

export const storePath = (w: SessionWorld) => join(w.dir, 'state', 'sessions.db');
export const walPath = (w: SessionWorld) => join(w.dir, 'state', 'wal');

/**
 * Images of the session store as a power loss at this moment would leave it. The store runs
 * `synchronous=FULL` (every commit fsynced), so that is every committed transaction: a read
 * connection serializes the database, and only when another connection committed since the last
 * image (`PRAGMA data_version`).
 */
export class StoreImages {
  private readonly db: Database.Database;
  private version = -1;
  private last: Buffer | null = null;

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
  }

  take(): Buffer {
    const v = this.db.pragma('data_version', { simple: true }) as number;
    if (this.last === null || v !== this.version) {
      this.last = this.db.serialize();
      this.version = v;
    }
    return this.last;
  }

  close(): void {
    this.db.close();
  }
}

/** Puts a store image in place (the broker using the store must be closed). */
export function restoreStore(w: SessionWorld, image: Buffer): void {
  const path = storePath(w);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  writeFileSync(path, image);
}

/** Exposures (`source@request`) and flags (`flag@request`) of a session; empty when unknown. */
export async function sessionFacts(
  b: Broker,
  sid: string,
): Promise<{ status: string | null; exposures: string[]; flags: string[] }> {
  try {
    const v = await b.session(sid);
    return {
      status: v.status,
      exposures: v.exposures.map((e) => `${e.source_id}@${e.request_id}`),
      flags: v.flags.map((f) => `${f.flag}@${f.request_id}`),
    };
  } catch (x) {
    if ((x as { code?: string }).code === 'NAU_SESSION_UNKNOWN')
      return { status: null, exposures: [], flags: [] };
    throw x;
  }
}

/**
 * What recovery must do on this WAL and store image: every record whose session row is missing,
 * or open with a lower LSN, is applied; the others (in the store already, or session closed) are
 * skipped. The session view cannot show a record applied twice (the same facts asserted again
 * are held once), these counts can.
 */
export async function expectedReplay(
  w: SessionWorld,
  wal: WalFs,
  store: Buffer,
): Promise<{ records: number; applied: number }> {
  // Read the image in memory; an in-memory database cannot be in WAL mode (header bytes 18-19).
  const copy = Buffer.from(store);
  copy[18] = 1;
  copy[19] = 1;
  const db = new Database(copy);
  const rows = new Map<string, { open: boolean; lsn: number }>();
  try {
    const all = db.prepare('SELECT session_id, status, state, wal_lsn FROM sessions').all() as {
      session_id: string;
      status: string;
      state: string;
      wal_lsn: number;
    }[];
    for (const r of all) {
      const perWal = (JSON.parse(r.state) as { wal?: Record<string, number> }).wal ?? {};
      const lsn = Math.max(r.wal_lsn, ...Object.values(perWal));
      rows.set(r.session_id, { open: r.status === 'open', lsn });
    }
  } finally {
    db.close();
  }
  const scan = await scanWal(walPath(w), { fs: wal, repair: 'none' });
  let records = 0;
  let applied = 0;
  for await (const r of scan.readRecords()) {
    records++;
    const row = rows.get(r.sid);
    if (row === undefined || (row.open && row.lsn < r.lsn)) applied++;
  }
  return { records, applied };
}
