// Injected faults: fdatasync errors (fatal, never retried), ENOSPC and EIO on write (the batch
// fails cleanly, later ones succeed), short writes, and simulated power loss (unsynced bytes
// dropped, or an arbitrary subset of sectors kept): every acknowledged append survives, no
// partial record ever surfaces.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NautilusError } from '../../src/errors.ts';
import {
  type CrashOptions,
  FaultFs,
  scanWal,
  segmentName,
  type WalAppendInput,
  WalWriter,
} from '../../src/wal/index.ts';
import { allRecords, faultOpts, isWalError, rec, writeBatches } from './helpers.ts';

const SEG1 = `/wal/${segmentName(1)}`;

test('fdatasync EIO: the batch, everything queued and every later append are rejected; no retry', async () => {
  const fs = new FaultFs();
  const failures: NautilusError[] = [];
  const writer = await WalWriter.open(
    '/wal',
    faultOpts(fs, { hooks: { onFailed: (e) => failures.push(e) } }),
  );
  await writeBatches(writer, [2]);
  const sizeBefore = fs.contents(SEG1).length;
  fs.inject({ op: 'datasync', path: 'wal-' });
  let queued: Promise<unknown>[] = [];
  fs.beforeOp = (op) => {
    if (op.op === 'datasync' && queued.length === 0) {
      queued = [writer.append(rec(10)), writer.append(rec(11))]; // arrive during the sync
    }
  };
  fs.events.length = 0;
  const batch = await Promise.allSettled([writer.append(rec(3)), writer.append(rec(4))]);
  const later = await Promise.allSettled(queued);
  for (const o of [...batch, ...later]) {
    assert.equal(o.status, 'rejected');
    const e = (o as PromiseRejectedResult).reason as NautilusError;
    assert.equal(e.code, 'NAU_WAL_FAILED');
    assert.equal(e.status, 503);
    assert.match(
      e.message,
      /fdatasync of WAL segment .* failed \(LSNs 3\.\.4\) \(EIO: .*never retried/,
    );
  }
  assert.equal(writer.failed?.code, 'NAU_WAL_FAILED');
  assert.equal(failures.length, 1);
  await assert.rejects(writer.append(rec(12)), isWalError('NAU_WAL_FAILED'));
  await assert.rejects(writer.checkpoint(1), isWalError('NAU_WAL_FAILED'));
  // Exactly one fdatasync was tried; nothing was cut back or rewritten.
  assert.deepEqual(
    fs.events.filter((e) => !e.includes('lock')).map((e) => e.split(' ')[0]),
    ['append'],
  );
  assert.ok(fs.contents(SEG1).length > sizeBefore);
  const s = writer.stats();
  assert.deepEqual([s.syncErrors, s.rejected.failed, s.failed], [1, 5, true]);
  await writer.close();
  // A restart reads what is on disk: the two acknowledged records, and the unsynced batch only
  // if it happened to reach the disk (here it was never synced, so a power loss drops it).
  const rebooted = fs.crash({ unsynced: 'drop' });
  const scan = await scanWal('/wal', { fs: rebooted });
  assert.deepEqual(
    (await allRecords(scan)).map((r) => r.lsn),
    [1, 2],
  );
});

test('ENOSPC on write: that batch fails cleanly (cut back), later appends succeed once space returns', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs));
  await writeBatches(writer, [3]);
  const good = fs.contents(SEG1);
  fs.capacityBytes = 400 + good.length; // the next batch fits only partly: a short write, then ENOSPC
  fs.events.length = 0;
  const outcomes = await Promise.allSettled(
    Array.from({ length: 6 }, (_, i) => writer.append(rec(10 + i))),
  );
  for (const o of outcomes) {
    assert.equal(o.status, 'rejected');
    const e = (o as PromiseRejectedResult).reason as NautilusError;
    assert.equal(e.code, 'NAU_WAL_NO_SPACE');
    assert.equal(e.status, 503);
    assert.match(e.message, /LSNs 4\.\.9 .*ENOSPC.*cut back and not committed: the disk is full/);
  }
  const ev = fs.events.filter((e) => !e.includes('lock'));
  assert.deepEqual(ev.slice(-2), [
    `truncate ${segmentName(1)} ${good.length}`,
    `datasync ${segmentName(1)}`,
  ]);
  assert.deepEqual(fs.contents(SEG1), good);
  assert.equal(writer.failed, null);
  assert.equal(writer.stats().rejected.noSpace, 6);
  fs.capacityBytes = Number.POSITIVE_INFINITY;
  assert.deepEqual(await writeBatches(writer, [2], 50), [4, 5]); // no hole where the batch failed
  await writer.close();
  assert.deepEqual(
    (await allRecords(await scanWal('/wal', { fs }))).map((r) => r.rid),
    ['req-1', 'req-2', 'req-3', 'req-50', 'req-51'],
  );
});

test('EIO on write: NAU_WAL_WRITE_FAILED for that batch, the writer carries on', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs));
  fs.inject({ op: 'append', path: 'wal-', code: 'EIO' });
  await assert.rejects(writer.append(rec(1)), isWalError('NAU_WAL_WRITE_FAILED', /EIO/));
  assert.equal((await writer.append(rec(2))).lsn, 1);
  assert.equal(writer.stats().writeErrors, 1);
  await writer.close();
});

test('a write error whose cut-back fails too puts the writer in the failed state', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs));
  fs.inject({ op: 'append', path: 'wal-', code: 'ENOSPC' });
  fs.inject({ op: 'truncate', path: 'wal-', code: 'EIO' });
  await assert.rejects(
    writer.append(rec(1)),
    isWalError('NAU_WAL_FAILED', /cutting the partial batch back failed/),
  );
  assert.ok(writer.failed);
  await assert.rejects(writer.append(rec(2)), isWalError('NAU_WAL_FAILED'));
  await writer.close();
});

test('short writes are continued until the whole line is written', async () => {
  const fs = new FaultFs();
  fs.maxWriteBytes = 7;
  const writer = await WalWriter.open('/wal', faultOpts(fs));
  await writeBatches(writer, [3, 1, 2]);
  await writer.close();
  assert.ok(fs.events.filter((e) => e.startsWith(`append ${segmentName(1)} 7`)).length > 100);
  assert.equal((await scanWal('/wal', { fs })).recordCount, 6);
});

test('a directory fsync error after creating a segment is fatal (its name might not survive)', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs, { segmentBytes: 600 }));
  await writeBatches(writer, [2]);
  fs.inject({ op: 'syncDir' });
  await assert.rejects(
    writeBatches(writer, [2], 10),
    isWalError('NAU_WAL_FAILED', /fsync of the WAL directory/),
  );
  assert.ok(writer.failed);
  await writer.close();
});

// ---- power loss -------------------------------------------------------------------------------

interface Outcome {
  readonly acked: Map<number, string>;
  readonly sent: Map<string, WalAppendInput>;
  /** Records at or below it may be gone: a checkpoint was (maybe partly) run up to it. */
  floor: number;
}

/** Waves of concurrent appends on `fs`; the power is cut at the `cutAt`-th file operation. */
async function workload(
  fs: FaultFs,
  cutAt: number,
  start: number,
  count: { n: number } = { n: 0 },
): Promise<Outcome> {
  const acked = new Map<number, string>();
  const sent = new Map<string, WalAppendInput>();
  const out: Outcome = { acked, sent, floor: 0 };
  fs.beforeOp = () => {
    if (++count.n === cutAt) fs.cutPower();
  };
  let writer: WalWriter;
  try {
    writer = await WalWriter.open('/wal', faultOpts(fs, { segmentBytes: 2000 }));
  } catch {
    return out;
  }
  let n = start;
  for (const size of [1, 4, 2, 7, 3, 1, 5]) {
    const wave = Array.from({ length: size }, () => {
      const input = rec(n++);
      sent.set(input.rid, input);
      return writer.append(input).then((r) => acked.set(r.lsn, input.rid));
    });
    await Promise.allSettled(wave);
  }
  if (fs.poweredOn) {
    out.floor = Math.max(0, writer.lastLsn - 10);
    await writer.checkpoint(out.floor).catch(() => {});
  }
  return out;
}

async function checkRecovered(fs: FaultFs, o: Outcome, label: string): Promise<number> {
  const writer = await WalWriter.open('/wal', faultOpts(fs, { segmentBytes: 2000 }));
  const recs = await allRecords(writer.recovery);
  const byLsn = new Map(recs.map((r) => [r.lsn, r]));
  for (let i = 1; i < recs.length; i++) assert.equal(recs[i]!.lsn, recs[i - 1]!.lsn + 1, label);
  for (const r of recs) {
    const sent = o.sent.get(r.rid);
    assert.ok(sent, `${label}: LSN ${r.lsn} holds unknown record ${r.rid}`);
    assert.deepEqual(
      { sid: r.sid, rid: r.rid, ts: r.ts, ops: r.ops },
      sent,
      `${label}: partial record`,
    );
    const ackedRid = o.acked.get(r.lsn);
    if (ackedRid !== undefined) assert.equal(r.rid, ackedRid, `${label}: LSN ${r.lsn}`);
  }
  for (const [lsn, rid] of o.acked) {
    if (lsn <= o.floor) continue;
    assert.equal(byLsn.get(lsn)?.rid, rid, `${label}: acknowledged LSN ${lsn} (${rid}) lost`);
  }
  const maxAcked = Math.max(0, ...o.acked.keys());
  const { lsn } = await writer.append(rec(9999));
  assert.ok(lsn > maxAcked, `${label}: LSN ${lsn} reused`);
  await writer.close();
  return recs.length;
}

test('power loss at every file operation: acknowledged appends survive, nothing partial surfaces', async () => {
  const modes: CrashOptions[] = [
    { unsynced: 'drop', dirOps: 'drop' },
    { unsynced: 'keep', dirOps: 'keep' },
    { unsynced: 'random', dirOps: 'random', fill: 'zero' },
    { unsynced: 'random', dirOps: 'random', fill: 'garbage' },
  ];
  // How many file operations one undisturbed run makes (open, appends, rollovers, checkpoint).
  const ops = { n: 0 };
  const dry = await workload(new FaultFs(), Number.POSITIVE_INFINITY, 1, ops);
  assert.equal(dry.acked.size, 23);
  assert.ok(ops.n > 25, `${ops.n}`);
  const total = ops.n;
  let runs = 0;
  for (let cutAt = 1; cutAt <= total + 1; cutAt++) {
    for (const [m, mode] of modes.entries()) {
      const fs = new FaultFs({ sectorBytes: 64 });
      const o = await workload(fs, cutAt, 1);
      const label = `cut at op ${cutAt}, ${JSON.stringify(mode)}`;
      const rebooted = fs.crash({ ...mode, seed: cutAt * 10 + m });
      await checkRecovered(rebooted, o, label);
      runs++;
    }
  }
  assert.ok(runs > 100, `${runs} runs`);
});

test('power loss while idle (everything synced) loses nothing, whatever the disk does with unsynced data', async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const fs = new FaultFs();
    const o = await workload(fs, Number.POSITIVE_INFINITY, 1);
    const rebooted = fs.crash({ unsynced: 'random', dirOps: 'random', seed, fill: 'garbage' });
    const count = await checkRecovered(rebooted, o, `seed ${seed}`);
    assert.ok(count >= 10 && o.floor === 13, `${count} ${o.floor}`);
  }
});
