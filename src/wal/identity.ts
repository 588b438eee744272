// The WAL's identity: a random id created with the WAL and kept in `wal.id` beside the segments.
// Session rows record, per WAL id, the highest LSN they include; several broker processes may
// share one session store (each with its own WAL), and a WAL directory recreated from scratch
// restarts its LSNs, so an LSN alone cannot tell which records a row already holds.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { walError } from './errors.ts';
import { writeFully } from './file-ops.ts';
import type { WalFs } from './fs.ts';

export const WAL_ID_FILE = 'wal.id';

const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The WAL's id: read from `wal.id`, or created (durably: written, synced, renamed into place,
 * directory synced) when the WAL holds no records yet. Call with the WAL's lock held.
 */
export async function walIdentity(fs: WalFs, dir: string, recordCount: number): Promise<string> {
  const path = join(dir, WAL_ID_FILE);
  let text: string | null = null;
  try {
    text = (await fs.readFile(path)).toString('utf8').trim();
  } catch (x) {
    if ((x as NodeJS.ErrnoException).code !== 'ENOENT') throw x;
  }
  if (text !== null) {
    if (ID_RE.test(text)) return text;
    throw walError(
      'NAU_WAL_CORRUPT',
      `${path}: not a WAL id (expected a UUID, found ${JSON.stringify(text.slice(0, 60))}); restore the file from a backup, or move the WAL directory aside once its records are known to be in the session store`,
    );
  }
  if (recordCount > 0) {
    // A new id would make every record look unapplied: replay would apply them twice.
    throw walError(
      'NAU_WAL_CORRUPT',
      `${path} is missing but the WAL holds ${recordCount} record(s): recovery cannot tell which of them the session store already has; restore the file from a backup`,
    );
  }
  const id = randomUUID();
  const tmp = `${path}.tmp`;
  await fs.unlink(tmp).catch(() => {});
  const h = await fs.open(tmp, 'create');
  try {
    await writeFully(h, Buffer.from(`${id}\n`));
    await h.datasync();
  } finally {
    await h.close();
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dir);
  return id;
}
