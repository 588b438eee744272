// The WAL's id file: created durably once, read back unchanged, and refused when it is missing
// while records exist (a new id would make recovery apply stored records a second time).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NautilusError } from '../../src/errors.ts';
import { FaultFs, nodeWalFs, WAL_ID_FILE, walIdentity } from '../../src/wal/index.ts';
import { tempDir } from './helpers.ts';

const isCorrupt = (x: unknown) => x instanceof NautilusError && x.code === 'NAU_WAL_CORRUPT';

describe('WAL identity', () => {
  it('is created once and survives a power loss right after it returns', async () => {
    const fs = new FaultFs();
    await fs.mkdirp('/wal');
    const id = await walIdentity(fs, '/wal', 0);
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(await walIdentity(fs, '/wal', 5), id, 'read back, not recreated');
    for (const unsynced of ['drop', 'random'] as const) {
      const after = fs.crash({ unsynced, dirOps: 'drop', seed: 7 });
      assert.equal(await walIdentity(after, '/wal', 5), id);
      assert.deepEqual(after.names('/wal'), [WAL_ID_FILE]);
    }
  });

  it('a crash before it is in place leaves no id: the next open creates one', async () => {
    const fs = new FaultFs();
    await fs.mkdirp('/wal');
    fs.inject({ op: 'rename' });
    await assert.rejects(walIdentity(fs, '/wal', 0));
    const after = fs.crash({ unsynced: 'keep', dirOps: 'keep' });
    assert.equal(after.exists(`/wal/${WAL_ID_FILE}`), false);
    assert.match(await walIdentity(after, '/wal', 0), /^[0-9a-f-]{36}$/);
  });

  it('is refused when missing while the WAL holds records, or when it is not an id', async () => {
    const dir = tempDir();
    await assert.rejects(walIdentity(nodeWalFs, dir, 3), (x: unknown) => {
      assert.ok(isCorrupt(x));
      assert.match((x as Error).message, /wal\.id is missing but the WAL holds 3 record/);
      return true;
    });
    writeFileSync(join(dir, WAL_ID_FILE), 'not-an-id\n');
    await assert.rejects(walIdentity(nodeWalFs, dir, 0), (x: unknown) => {
      assert.ok(isCorrupt(x));
      assert.match((x as Error).message, /not a WAL id/);
      return true;
    });
  });
});
