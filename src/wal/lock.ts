// The WAL directory's lock file (`wal.lock`): one process owns a WAL. It is created atomically
// (write a private temp file, then link(2) it into place: the link fails if a lock exists, and
// the lock is never seen half-written). A lock whose owner is gone (dead pid, or a pid from
// before a reboot) is taken over; a live owner is named in the error.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describeIoError, errnoCode, walError } from './errors.ts';
import type { WalFs } from './fs.ts';

export const LOCK_FILE = 'wal.lock';

export interface WalLockOwner {
  readonly pid: number;
  readonly host: string;
  readonly boot: string;
  readonly token: string;
}

export interface WalLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Tokens of the locks this process holds: tells "locked by us" from a reused pid. */
const heldTokens = new Set<string>();

export function parseLockOwner(text: string): WalLockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<WalLockOwner>;
    if (
      typeof v.pid === 'number' &&
      typeof v.host === 'string' &&
      typeof v.boot === 'string' &&
      typeof v.token === 'string'
    ) {
      return { pid: v.pid, host: v.host, boot: v.boot, token: v.token };
    }
  } catch {
    // not JSON: no identifiable owner
  }
  return null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

async function readLock(fs: WalFs, path: string): Promise<string | null> {
  try {
    return (await fs.readFile(path)).toString('utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** Who still holds a lock, or null when it is stale. */
function liveHolder(fs: WalFs, owner: WalLockOwner | null): string | null {
  if (owner === null) return null; // empty or garbled: a crash before the content reached disk
  if (owner.host !== hostname()) return `process ${owner.pid} on host ${owner.host}`;
  if (owner.boot !== '' && owner.boot !== fs.bootId()) return null; // held before a reboot
  if (owner.pid === process.pid) return heldTokens.has(owner.token) ? 'this process' : null;
  return processAlive(owner.pid) ? `process ${owner.pid}` : null;
}

async function writeNew(fs: WalFs, path: string, data: Buffer): Promise<void> {
  const file = await fs.open(path, 'create');
  try {
    let off = 0;
    while (off < data.length) off += await file.append(data, off, data.length - off);
  } finally {
    await file.close();
  }
}

/**
 * Takes `<dir>/wal.lock` or throws NAU_WAL_LOCKED naming the live owner. `warn` hears about
 * stale locks taken over.
 */
export async function acquireWalLock(
  fs: WalFs,
  dir: string,
  warn: (message: string) => void = () => {},
): Promise<WalLock> {
  const lockPath = join(dir, LOCK_FILE);
  const owner: WalLockOwner = {
    pid: process.pid,
    host: hostname(),
    boot: fs.bootId(),
    token: randomUUID(),
  };
  const content = Buffer.from(`${JSON.stringify(owner)}\n`);
  const fail = (message: string, err?: unknown) =>
    walError(
      'NAU_WAL_LOCKED',
      err === undefined ? message : `${message}: ${describeIoError(err)}`,
      { location: { file: lockPath }, lockPath },
    );
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = join(dir, `${LOCK_FILE}.${owner.token}.tmp`);
    try {
      await writeNew(fs, tmp, content);
    } catch (err) {
      throw fail(`WAL directory ${dir}: cannot create the lock file`, err);
    }
    try {
      await fs.link(tmp, lockPath);
      heldTokens.add(owner.token);
      return { path: lockPath, release: () => releaseLock(fs, lockPath, owner.token) };
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST')
        throw fail(`WAL directory ${dir}: cannot take the lock`, err);
    } finally {
      await fs.unlink(tmp).catch(() => {});
    }
    const seen = await readLock(fs, lockPath);
    if (seen === null) continue; // released meanwhile
    const holder = liveHolder(fs, parseLockOwner(seen));
    if (holder !== null) {
      throw fail(
        `WAL directory ${dir} is locked by ${holder} (lock file ${lockPath}); only one Nautilus process may write a WAL. If no Nautilus process uses it, remove the lock file`,
      );
    }
    await takeOverStale(fs, lockPath, seen, owner.token);
    warn(`WAL directory ${dir}: removed a stale lock left by ${seen.trim() || '(empty file)'}`);
  }
  throw fail(`WAL directory ${dir}: could not take the lock file (contended)`);
}

/**
 * Moves a stale lock aside atomically; if what was moved is not the lock we judged stale
 * (another process took over in between), puts it back.
 */
async function takeOverStale(fs: WalFs, lockPath: string, seen: string, token: string) {
  const aside = `${lockPath}.${token}.stale`;
  try {
    await fs.rename(lockPath, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  if ((await readLock(fs, aside)) !== seen) await fs.link(aside, lockPath).catch(() => {});
  await fs.unlink(aside).catch(() => {});
}

async function releaseLock(fs: WalFs, lockPath: string, token: string): Promise<void> {
  heldTokens.delete(token);
  const text = await readLock(fs, lockPath).catch(() => null);
  if (text !== null && parseLockOwner(text)?.token === token) {
    await fs.unlink(lockPath).catch(() => {});
  }
}

/** The owner recorded in a WAL directory's lock file, if any (for `nautilus wal inspect`). */
export async function readWalLockOwner(fs: WalFs, dir: string): Promise<WalLockOwner | null> {
  const text = await readLock(fs, join(dir, LOCK_FILE)).catch(() => null);
  return text === null ? null : parseLockOwner(text);
}
