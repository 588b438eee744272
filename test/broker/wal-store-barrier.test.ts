// With the WAL on, the SQLite session store skips its per-commit fsync (synchronous=NORMAL) and
// the WAL deletes records only once a FULL SQLite checkpoint made the store's commits durable.
// A reader holding an old snapshot keeps that checkpoint from completing: the records must stay.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { scanWal } from '../../src/wal/index.ts';
import { ask, sessionWorld } from './session-fixture.ts';

const recordCount = async (dir: string) => (await scanWal(dir, { repair: 'none' })).recordCount;

describe('WAL checkpoints wait for the session store to be durable', () => {
  it('keeps records while SQLite cannot checkpoint, drops them once it can', async () => {
    const w = sessionWorld({ persistence: '  wal_enabled: true' });
    const walDir = join(w.dir, 'state', 'wal');
    try {
      const b1 = await w.open();
      // Another connection reading an old snapshot: wal_checkpoint(FULL) reports busy.
      const reader = new Database(join(w.dir, 'state', 'sessions.db'), { readonly: true });
      try {
        await ask(b1, 'alice', ['hr'], 's1');
        reader.exec('BEGIN');
        reader.prepare('SELECT count(*) FROM sessions').get();
        await ask(b1, 'alice', ['vulnerability'], 's2');
        await b1.close();
        assert.equal(await recordCount(walDir), 2, 'the store was not durable: nothing deleted');
      } finally {
        reader.close();
      }
      const b2 = await w.open();
      try {
        assert.equal(b2.walRecovery?.records, 2);
        assert.equal(b2.walRecovery?.skipped, 2, 'both rows were written, so nothing re-applied');
        assert.equal(await recordCount(walDir), 0, 'checkpointed once the store was durable');
        const s = await b2.session('s2');
        assert.deepEqual(
          s.exposures.map((e) => e.source_id),
          ['vulns'],
        );
      } finally {
        await b2.close();
      }
    } finally {
      w.cleanup();
    }
  });
});
