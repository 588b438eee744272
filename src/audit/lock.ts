// A pid lock file beside the audit log (`<log>.lock`), so a second process cannot interleave lines.
// Created atomically (write a temp file, then link(2) it into place: the link fails if a lock
// exists, and the lock is never seen half-written). A lock whose process is gone is taken over.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import { NautilusError } from '../errors.ts';

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

/** Tokens of the locks this process holds: tells "locked by us" from a reused pid. */
const heldTokens = new Set<string>();

export interface AuditLock {
  readonly path: string;
  release(): Promise<void>;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string') {
      return { pid: v.pid, host: v.host, token: v.token };
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
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Why `owner` still holds the lock, or null when the lock is stale. */
function liveHolder(owner: LockOwner | null): string | null {
  if (owner === null) return null; // empty or garbled: a crash before the content reached disk
  if (owner.host !== hostname()) return `process ${owner.pid} on host ${owner.host}`;
  if (owner.pid === process.pid) return heldTokens.has(owner.token) ? 'this process' : null;
  return processAlive(owner.pid) ? `process ${owner.pid}` : null;
}

export async function acquireAuditLock(
  logPath: string,
  warn: (message: string) => void,
): Promise<AuditLock> {
  const lockPath = `${logPath}.lock`;
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomUUID() };
  const content = `${JSON.stringify(owner)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = `${lockPath}.${owner.token}.tmp`;
    await fsp.writeFile(tmp, content, { flag: 'wx', mode: 0o600 });
    try {
      await fsp.link(tmp, lockPath);
      heldTokens.add(owner.token);
      return { path: lockPath, release: () => releaseLock(lockPath, owner.token) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    const seen = await readText(lockPath);
    if (seen === null) continue; // released meanwhile
    const holder = liveHolder(parseOwner(seen));
    if (holder !== null) {
      throw new NautilusError(
        'NAU_AUDIT_LOCKED',
        `audit log ${logPath} is locked by ${holder} (lock file ${lockPath}); if no Nautilus process uses this log, remove the lock file`,
        500,
        { location: { file: logPath }, lockPath },
      );
    }
    await takeOverStale(lockPath, seen, owner.token);
    warn(`audit log ${logPath}: removed a stale lock file left by ${seen.trim() || '(empty)'}`);
  }
  throw new NautilusError(
    'NAU_AUDIT_LOCKED',
    `audit log ${logPath}: could not take the lock file ${lockPath} (contended)`,
    500,
    { location: { file: logPath }, lockPath },
  );
}

/**
 * Moves a stale lock aside atomically; if what was moved is not the stale lock we inspected
 * (another process took over in between), puts it back.
 */
async function takeOverStale(lockPath: string, seen: string, token: string): Promise<void> {
  const aside = `${lockPath}.${token}.stale`;
  try {
    await fsp.rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if ((await readText(aside)) !== seen) {
    await fsp.link(aside, lockPath).catch(() => {});
  }
  await fsp.rm(aside, { force: true });
}

async function releaseLock(lockPath: string, token: string): Promise<void> {
  heldTokens.delete(token);
  const text = await readText(lockPath);
  if (text !== null && parseOwner(text)?.token === token) await fsp.rm(lockPath, { force: true });
}
