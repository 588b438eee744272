// After WAL recovery, the records it replayed or skipped leave the WAL at startup (the active
// segment is rolled and deleted once the store holds them): a crash right after the start does
// not make the next start read and skip them all again.
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LOCK_FILE, scanWal } from '../../src/wal/index.ts';
import { ask, sessionWorld } from './session-fixture.ts';

async function recordCount(dir: string): Promise<number> {
  return (await scanWal(dir, { repair: 'none' })).recordCount;
}

describe('WAL recovery checkpoint', () => {
  it('drops the replayed records from the WAL before the broker answers', async () => {
    const w = sessionWorld({ persistence: '  wal_enabled: true' });
    const walDir = join(w.dir, 'state', 'wal');
    const crashed = join(w.dir, 'wal-crashed');
    try {
      const b1 = await w.open();
      try {
        await ask(b1, 'alice', ['hr'], 's1');
        await ask(b1, 'alice', ['vulnerability'], 's2');
        // The WAL as a crash before the close's checkpoint would leave it.
        cpSync(walDir, crashed, { recursive: true, filter: (src) => !src.endsWith(LOCK_FILE) });
      } finally {
        await b1.close();
      }
      assert.equal(await recordCount(crashed), 2);
      rmSync(walDir, { recursive: true, force: true });
      cpSync(crashed, walDir, { recursive: true });

      const b2 = await w.open();
      try {
        assert.equal(b2.walRecovery?.records, 2);
        assert.equal(b2.walRecovery?.skipped, 2);
        // Still open, no request since: the WAL no longer holds the two records.
        assert.equal(await recordCount(walDir), 0);
        // A crash now: the next start has nothing to re-read.
        rmSync(crashed, { recursive: true });
        cpSync(walDir, crashed, { recursive: true, filter: (src) => !src.endsWith(LOCK_FILE) });
      } finally {
        await b2.close();
      }
      rmSync(walDir, { recursive: true, force: true });
      cpSync(crashed, walDir, { recursive: true });
      const b3 = await w.open();
      try {
        assert.equal(b3.walRecovery?.records, 0);
        assert.equal((await b3.session('s1')).exposures.length, 1);
        assert.equal((await b3.session('s2')).exposures.length, 1);
      } finally {
        await b3.close();
      }
    } finally {
      w.cleanup();
    }
  });
});
