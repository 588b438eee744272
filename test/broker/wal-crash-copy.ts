// Copies that stand in for a crash in the WAL broker tests: the WAL directory as a dead process
// left it (its lock file dropped), and the SQLite session store at an earlier moment.
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK_FILE } from '../../src/wal/index.ts';
import type { SessionWorld } from './session-fixture.ts';

export const walDir = (w: SessionWorld) => join(w.dir, 'state', 'wal');

/** A copy of the WAL directory as a crash would leave it (the lock is the dead process's). */
export function snapshotWal(w: SessionWorld, name: string): string {
  const to = join(w.dir, name);
  cpSync(walDir(w), to, { recursive: true, filter: (src) => !src.endsWith(LOCK_FILE) });
  return to;
}

export function restoreWal(w: SessionWorld, from: string): void {
  rmSync(walDir(w), { recursive: true, force: true });
  cpSync(from, walDir(w), { recursive: true });
}

/** Copies the session store's files (`sessions.db*`) from one directory to another. */
function copyStore(from: string, to: string): void {
  for (const f of readdirSync(from)) {
    if (f.startsWith('sessions.db')) cpSync(join(from, f), join(to, f));
  }
}

const stateDir = (w: SessionWorld) => join(w.dir, 'state');

/** A copy of the SQLite session store as it is now (the broker closed), to put back later. */
export function snapshotStore(w: SessionWorld, name: string): string {
  const to = join(w.dir, name);
  mkdirSync(to);
  copyStore(stateDir(w), to);
  return to;
}

/** Puts a snapshotStore copy back: the store as a crash before the later writes left it. */
export function restoreStore(w: SessionWorld, from: string): void {
  copyStore(from, stateDir(w));
}
