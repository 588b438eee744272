// The fault-injecting file system the crash tests rely on: what survives a power loss, faults.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultFs } from '../../src/wal/index.ts';

async function fileWith(fs: FaultFs, path: string, synced: string, unsynced: string) {
  const f = await fs.open(path, 'create');
  const a = Buffer.from(synced);
  await f.append(a, 0, a.length);
  await f.datasync();
  const b = Buffer.from(unsynced);
  await f.append(b, 0, b.length);
  return f;
}

test('power loss drops unsynced bytes, or keeps them all, and reverts unsynced names', async () => {
  const fs = new FaultFs();
  await fs.mkdirp('/d');
  await fileWith(fs, '/d/a', 'synced|', 'unsynced');
  await fs.syncDir('/d');
  await fileWith(fs, '/d/b', 'b-synced', ''); // its name was never made durable
  const dropped = fs.crash({ unsynced: 'drop', dirOps: 'drop' });
  assert.equal(dropped.contents('/d/a').toString(), 'synced|');
  assert.equal(dropped.exists('/d/b'), false);
  await assert.rejects(fs.list('/d'), /power is off/);

  const fs2 = new FaultFs();
  await fs2.mkdirp('/d');
  await fileWith(fs2, '/d/a', 'synced|', 'unsynced');
  const kept = fs2.crash({ unsynced: 'keep', dirOps: 'keep' });
  assert.equal(kept.contents('/d/a').toString(), 'synced|unsynced');
});

test('random power loss keeps an arbitrary subset of whole sectors of unsynced writes', async () => {
  const seen = new Set<string>();
  for (let seed = 1; seed <= 200; seed++) {
    const fs = new FaultFs({ sectorBytes: 4 });
    await fs.mkdirp('/d');
    await fileWith(fs, '/d/a', 'AAAA', 'BBBBCCCCDDDD');
    await fs.syncDir('/d');
    const out = fs.crash({ unsynced: 'random', seed }).contents('/d/a').toString('latin1');
    assert.ok(out.startsWith('AAAA'), out);
    // Each later sector is either its written bytes or a zero hole (or missing at the end).
    const sectors = out.slice(4).match(/.{1,4}/g) ?? [];
    for (const [i, s] of sectors.entries()) {
      assert.ok(s === 'BCD'[i]!.repeat(4) || s === '\0\0\0\0', JSON.stringify(out));
    }
    seen.add(out.slice(4).replace(/\0/g, '.'));
  }
  // Holes in the middle, a kept later sector after a lost earlier one, all or nothing: all occur.
  for (const shape of ['', 'BBBBCCCCDDDD', '....CCCC', '........DDDD', 'BBBB']) {
    assert.ok(seen.has(shape), `${shape} never produced: ${[...seen].join(' ')}`);
  }
  // Garbage fill: holes read back as arbitrary bytes.
  let garbage = false;
  for (let seed = 1; seed < 20 && !garbage; seed++) {
    const g = new FaultFs({ sectorBytes: 4 });
    await g.mkdirp('/d');
    await fileWith(g, '/d/a', '', 'x'.repeat(400));
    await g.syncDir('/d');
    const out = g.crash({ unsynced: 'random', fill: 'garbage', seed }).contents('/d/a');
    garbage = out.some((b) => b !== 0x78 && b !== 0);
  }
  assert.ok(garbage);
});

test('renames and unlinks are durable only after syncDir; links share data', async () => {
  const fs = new FaultFs();
  await fs.mkdirp('/d');
  const f = await fileWith(fs, '/d/a', 'data', '');
  await f.close();
  await fs.syncDir('/d');
  await fs.rename('/d/a', '/d/b');
  await fs.link('/d/b', '/d/c');
  assert.deepEqual(fs.names('/d'), ['b', 'c']);
  const reverted = fs.crash({ dirOps: 'drop' });
  assert.deepEqual(reverted.names('/d'), ['a']);
  assert.equal(reverted.contents('/d/a').toString(), 'data');
  await reverted.unlink('/d/a');
  await reverted.syncDir('/d');
  assert.deepEqual(reverted.crash().names('/d'), []);
});

test('injected errors, capacity and short writes', async () => {
  const fs = new FaultFs({ capacityBytes: 10 });
  await fs.mkdirp('/d');
  const f = await fs.open('/d/a', 'create');
  const buf = Buffer.from('0123456789abcdef');
  assert.equal(await f.append(buf, 0, buf.length), 10); // short: the disk holds 10 bytes
  await assert.rejects(f.append(buf, 0, 1), { code: 'ENOSPC' });
  assert.equal((await fs.statfs('/d')).freeBytes, 0);
  await f.truncate(4);
  assert.equal((await fs.statfs('/d')).freeBytes, 6);
  fs.maxWriteBytes = 3;
  assert.equal(await f.append(buf, 0, 5), 3);
  fs.inject({ op: 'datasync', skip: 1, times: 2, code: 'EIO' });
  await f.datasync();
  await assert.rejects(f.datasync(), { code: 'EIO' });
  await assert.rejects(f.datasync(), { code: 'EIO' });
  await f.datasync();
  await assert.rejects(fs.open('/d/a', 'create'), { code: 'EEXIST' });
  await assert.rejects(fs.open('/d/zz', 'read'), { code: 'ENOENT' });
  const r = await fs.open('/d/a', 'read');
  await assert.rejects(r.append(buf, 0, 1), { code: 'EBADF' });
  assert.deepEqual(fs.events, [
    'create a',
    'append a 10',
    'truncate a 4',
    'append a 3',
    'datasync a',
    'datasync a',
  ]);
});

test('crashImage: the disk a power loss would leave now, while the original carries on', async () => {
  const fs = new FaultFs();
  await fs.mkdirp('/d');
  const f = await fileWith(fs, '/d/a', 'synced|', 'unsynced');
  assert.equal(fs.crashImage().exists('/d/a'), false, 'the name is not durable yet');
  await fs.syncDir('/d');
  const image = fs.crashImage({ unsynced: 'drop' });
  assert.equal(image.contents('/d/a').toString(), 'synced|');
  // The original is still powered: it syncs, and a later image keeps what it synced.
  await f.datasync();
  assert.equal(fs.crashImage().contents('/d/a').toString(), 'synced|unsynced');
  // Images are independent of the original and of each other.
  await image.mkdirp('/e');
  assert.equal(fs.exists('/e'), false);
  assert.deepEqual(fs.names('/d'), ['a']);
});
