// Checkpoint: only segments whose records are all at or below the durable LSN are deleted
// (never the active one), each deletion made durable in order; a crash at any step of it leaves
// a WAL that recovers with every record above the durable LSN.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CrashOptions,
  FaultFs,
  scanWal,
  type WalScan,
  WalWriter,
} from '../../src/wal/index.ts';
import { allRecords, faultOpts, isWalError, rec, writeBatches } from './helpers.ts';

const OPTS = { segmentBytes: 1000 };

async function setup(): Promise<{ fs: FaultFs; writer: WalWriter; scan: WalScan }> {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs, OPTS));
  await writeBatches(writer, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
  return { fs, writer, scan: await scanWal('/wal', { fs, repair: 'none' }) };
}

function segs(fs: FaultFs): string[] {
  return fs.names('/wal').filter((n) => n.endsWith('.jsonl'));
}

test('deletes exactly the segments fully at or below the durable LSN, oldest first, dir fsync after each', async () => {
  const { fs, writer, scan } = await setup();
  const s = scan.segments;
  assert.ok(s.length >= 4, `${s.length} segments`);
  // A durable LSN inside segment 2 deletes only segment 1.
  const inside = s[1]!.firstLsn!;
  fs.events.length = 0;
  const r1 = await writer.checkpoint(inside);
  assert.deepEqual(r1, { deleted: [s[0]!.name], bytesFreed: s[0]!.bytes, rolled: false });
  assert.deepEqual(fs.events, [`unlink ${s[0]!.name}`, 'syncDir /wal']);
  // The exact last LSN of segment 3 deletes segments 2 and 3.
  fs.events.length = 0;
  const r2 = await writer.checkpoint(s[2]!.lastLsn!);
  assert.deepEqual(r2.deleted, [s[1]!.name, s[2]!.name]);
  assert.deepEqual(fs.events, [
    `unlink ${s[1]!.name}`,
    'syncDir /wal',
    `unlink ${s[2]!.name}`,
    'syncDir /wal',
  ]);
  assert.deepEqual(
    segs(fs),
    s.slice(3).map((x) => x.name),
  );
  // Everything covered, roll: false: the active segment stays.
  const last = writer.lastLsn;
  const r3 = await writer.checkpoint(last, { roll: false });
  assert.equal(r3.rolled, false);
  assert.deepEqual(segs(fs), [s.at(-1)!.name]);
  const st = writer.stats();
  assert.deepEqual([st.checkpointLsn, st.checkpointLagRecords, st.segments], [last, 0, 1]);
  // With rolling (the default) a fully covered active segment goes too, and numbering goes on.
  const r4 = await writer.checkpoint(last);
  assert.deepEqual([r4.rolled, r4.deleted], [true, [s.at(-1)!.name]]);
  assert.equal((await writer.append(rec(100))).lsn, last + 1);
  await writer.close();
  const after = await scanWal('/wal', { fs });
  assert.deepEqual(
    (await allRecords(after)).map((r) => r.lsn),
    [last + 1],
  );
});

test('a checkpoint LSN beyond the log or negative is refused', async () => {
  const { writer } = await setup();
  await assert.rejects(
    writer.checkpoint(writer.lastLsn + 1),
    isWalError('NAU_WAL_BAD_OPTION', /beyond the last LSN/),
  );
  await assert.rejects(writer.checkpoint(-1), isWalError('NAU_WAL_BAD_OPTION'));
  await assert.rejects(writer.checkpoint(1.5), isWalError('NAU_WAL_BAD_OPTION'));
  await writer.close();
});

test('after deleting every old segment, a restart still continues the LSNs (the name carries them)', async () => {
  const { fs, writer } = await setup();
  const last = writer.lastLsn;
  await writer.checkpoint(last);
  await writer.close();
  const again = await WalWriter.open('/wal', faultOpts(fs, OPTS));
  assert.equal(again.recovery.recordCount, 0);
  assert.equal(again.nextLsn, last + 1);
  assert.equal((await again.append(rec(1))).lsn, last + 1);
  await again.close();
});

test('appends racing a checkpoint all commit, in order', async () => {
  const { fs, writer } = await setup();
  const durable = writer.lastLsn - 3;
  const before = Array.from({ length: 5 }, (_, i) => writer.append(rec(200 + i)));
  const cp = writer.checkpoint(durable);
  const after = Array.from({ length: 5 }, (_, i) => writer.append(rec(300 + i)));
  const lsns = (await Promise.all([...before, ...after])).map((r) => r.lsn);
  await cp;
  assert.deepEqual(
    lsns,
    [...lsns].sort((a, b) => a - b),
  );
  await writer.close();
  const recs = await allRecords(await scanWal('/wal', { fs }));
  assert.ok(recs[0]!.lsn <= durable + 1, 'nothing above the durable LSN was deleted');
  assert.equal(recs.at(-1)!.lsn, lsns.at(-1));
});

test('a crash at every step of a checkpoint leaves a WAL that recovers every record above the durable LSN', async () => {
  const modes: CrashOptions[] = [
    { dirOps: 'drop', unsynced: 'drop' },
    { dirOps: 'keep', unsynced: 'keep' },
    { dirOps: 'random', unsynced: 'random', seed: 3 },
    { dirOps: 'random', unsynced: 'random', seed: 11, fill: 'garbage' },
  ];
  // Count the operations of one checkpoint (rolling the covered active segment included).
  const probe = await setup();
  const durable = probe.writer.lastLsn;
  let steps = 0;
  probe.fs.beforeOp = () => {
    steps++;
  };
  const full = await probe.writer.checkpoint(durable);
  assert.ok(full.deleted.length >= 4 && full.rolled, JSON.stringify(full));
  assert.ok(steps >= 2 * full.deleted.length + 2, `${steps} steps`);

  for (const target of [durable, durable - 5]) {
    for (let cutAt = 1; cutAt <= steps + 1; cutAt++) {
      for (const mode of modes) {
        const { fs, writer, scan } = await setup();
        const expected = (await allRecords(scan)).filter((r) => r.lsn > target);
        let n = 0;
        fs.beforeOp = () => {
          if (++n === cutAt) fs.cutPower();
        };
        await writer.checkpoint(target).catch(() => {});
        const rebooted = fs.crash(mode);
        const label = `checkpoint(${target}) cut at step ${cutAt}, ${JSON.stringify(mode)}`;
        const again = await WalWriter.open('/wal', faultOpts(rebooted, OPTS));
        const recs = await allRecords(again.recovery);
        const above = recs.filter((r) => r.lsn > target);
        assert.deepEqual(above, expected, label);
        for (let i = 1; i < recs.length; i++)
          assert.equal(recs[i]!.lsn, recs[i - 1]!.lsn + 1, label);
        assert.equal((await again.append(rec(999))).lsn, durable + 1, label);
        await again.close();
      }
    }
  }
});
