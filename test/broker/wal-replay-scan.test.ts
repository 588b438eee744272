// Recovery replays each record as the WAL scan validates it (one read, one parse). These cases
// check what that must not change: a WAL found corrupt after some records were applied refuses
// the start with nothing of them saved, and a record the policy cannot apply is named.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { createSessionStore } from '../../src/session/store/index.ts';
import { scanWal, WalWriter } from '../../src/wal/index.ts';
import { ask, type SessionWorld, sessionWorld } from './session-fixture.ts';
import { restoreStore, restoreWal, snapshotStore, snapshotWal, walDir } from './wal-crash-copy.ts';

/** The store's row of each session (null: never saved), read with the broker closed. */
async function storedRows(w: SessionWorld, ids: readonly string[]) {
  const config = loadConfig(w.configPath);
  const store = createSessionStore(config.session_store, { dataDir: config.data_dir });
  await store.open();
  try {
    return await Promise.all(ids.map(async (id) => (await store.load(id))?.version ?? null));
  } finally {
    await store.close();
  }
}

describe('WAL recovery replays while it scans', () => {
  it('refuses a WAL corrupt after applied records and saves none of them', async () => {
    const w = sessionWorld({ persistence: '  wal_enabled: true' });
    try {
      // Sessions s1..s3 in the store, then three more requests whose records only the WAL keeps
      // (the store is put back as it was before them: a crash before their store writes).
      const b0 = await w.open();
      for (const s of ['s1', 's2', 's3']) await ask(b0, 'alice', ['vulnerability'], s);
      await b0.close();
      const storeBefore = snapshotStore(w, 'store-before');
      const before = await storedRows(w, ['s1', 's2', 's3']);
      const b1 = await w.open();
      let copy = '';
      try {
        for (const s of ['s1', 's2', 's3']) await ask(b1, 'alice', ['hr'], s);
        copy = snapshotWal(w, 'wal-crashed');
      } finally {
        await b1.close();
      }
      // Damage the second of the three record lines: the first is replayed before the scan
      // reaches it, and a valid line after it makes it corruption, not a torn tail.
      const scan = await scanWal(copy, { repair: 'none' });
      const seg = scan.segments.find((s) => s.records === 3);
      assert.ok(seg !== undefined, JSON.stringify(scan.segments));
      const bytes = readFileSync(seg.path);
      const ends: number[] = [];
      for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) ends.push(i);
      const at = (ends[ends.length - 3] as number) + 20;
      bytes[at] = (bytes[at] as number) ^ 0x01;
      writeFileSync(seg.path, bytes);
      restoreStore(w, storeBefore);
      restoreWal(w, copy);

      await assert.rejects(
        w.open(),
        (x: unknown) => x instanceof NautilusError && x.code === 'NAU_WAL_CORRUPT',
      );
      assert.deepEqual(await storedRows(w, ['s1', 's2', 's3']), before);
      // The WAL is left as it was, for the operator.
      assert.deepEqual(readFileSync(join(walDir(w), seg.name)), bytes);
    } finally {
      w.cleanup();
    }
  });

  it('names a record the policy cannot apply (NAU_WAL_REPLAY_FAILED) and saves nothing', async () => {
    const w = sessionWorld({ persistence: '  wal_enabled: true' });
    try {
      const b1 = await w.open();
      await ask(b1, 'alice', ['vulnerability'], 's1');
      await b1.close();
      // A record written under other templates: a slot the loaded policy does not have.
      const writer = await WalWriter.open(walDir(w), { minFreeBytes: 0 });
      const { lsn } = await writer.append({
        sid: 's1',
        rid: 'r-old',
        ts: Date.now(),
        ops: [{ template: 'session_exposure', slots: { session_id: 's1', retired_slot: 'x' } }],
      });
      await writer.close();
      const stored = await storedRows(w, ['s1']);
      await assert.rejects(
        w.open(),
        (x: unknown) =>
          x instanceof NautilusError &&
          x.code === 'NAU_WAL_REPLAY_FAILED' &&
          x.message.includes(`WAL record ${lsn} (session s1, request r-old)`) &&
          /retired_slot/.test(x.message),
      );
      assert.deepEqual(await storedRows(w, ['s1']), stored);
    } finally {
      w.cleanup();
    }
  });
});
