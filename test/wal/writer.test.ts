// The writer: group commit (order of file operations recorded by the fault fs), batching limits,
// rollover with directory fsync, size and free-disk limits, close, LSN floors, stats and hooks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FaultFs,
  scanWal,
  segmentName,
  type WalBatchEvent,
  WalWriter,
} from '../../src/wal/index.ts';
import { allRecords, faultOpts, isWalError, rec, tempDir, writeBatches } from './helpers.ts';

const SEG1 = segmentName(1);

function ops(events: readonly string[]): string[] {
  return events.filter((e) => !e.includes('wal.lock'));
}

test('group commit: appends of one event-loop turn share one write and one fdatasync, in order', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs));
  fs.events.length = 0;
  const appends = Array.from({ length: 50 }, (_, i) =>
    writer.append(rec(i + 1)).then((r) => {
      fs.mark(`resolved ${r.lsn}`);
      return r.lsn;
    }),
  );
  assert.deepEqual(
    await Promise.all(appends),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  const ev = ops(fs.events);
  assert.match(ev[0]!, new RegExp(`^append ${SEG1} \\d+$`));
  assert.equal(ev[1], `datasync ${SEG1}`);
  assert.deepEqual(
    ev.slice(2),
    Array.from({ length: 50 }, (_, i) => `resolved ${i + 1}`),
  );
  assert.equal(writer.stats().batches, 1);
  assert.equal(writer.stats().lastBatchRecords, 50);
  await writer.close();
  const scan = await scanWal('/wal', { fs });
  assert.equal(scan.segments[0]!.lines, 1);
  assert.deepEqual(
    (await allRecords(scan)).map((r) => r.rid),
    Array.from({ length: 50 }, (_, i) => `req-${i + 1}`),
  );
});

test('while a flush is in flight the next batch accumulates; nothing resolves before its own fdatasync', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs));
  fs.events.length = 0;
  const late: Promise<void>[] = [];
  let syncs = 0;
  fs.beforeOp = (op) => {
    if (op.op !== 'datasync' || op.path.includes('lock')) return;
    syncs++;
    if (syncs === 1) {
      // Requests arriving while the first batch's fdatasync is in flight.
      for (let i = 0; i < 20; i++) {
        late.push(
          writer.append(rec(100 + i)).then((r) => {
            fs.mark(`resolved ${r.lsn}`);
          }),
        );
      }
    }
  };
  const first = await Promise.all(
    [1, 2, 3].map((n) =>
      writer.append(rec(n)).then((r) => {
        fs.mark(`resolved ${r.lsn}`);
        return r.lsn;
      }),
    ),
  );
  await Promise.all(late);
  assert.deepEqual(first, [1, 2, 3]);
  const ev = ops(fs.events);
  const kinds = ev.map((e) => e.split(' ')[0]);
  assert.deepEqual(kinds, [
    'append',
    'datasync',
    'resolved',
    'resolved',
    'resolved',
    'append',
    'datasync',
    ...Array(20).fill('resolved'),
  ]);
  assert.equal(ev.at(-1), 'resolved 23');
  assert.equal(writer.stats().syncs, 2);
  await writer.close();
});

test('many concurrent appends across turns: few fdatasyncs, LSN order = append order, each after its sync', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open(
    '/wal',
    faultOpts(fs, { hooks: { onBatch: (b) => fs.mark(`batch ${b.firstLsn} ${b.lastLsn}`) } }),
  );
  fs.events.length = 0;
  const order: [number, string][] = [];
  const workers = Array.from({ length: 16 }, async (_, w) => {
    for (let i = 0; i < 25; i++) {
      const input = rec(w * 1000 + i);
      const { lsn } = await writer.append(input);
      order.push([lsn, input.rid]);
      fs.mark(`resolved ${lsn}`);
    }
  });
  await Promise.all(workers);
  const stats = writer.stats();
  assert.equal(stats.appends, 400);
  assert.ok(stats.syncs <= 40, `${stats.syncs} fdatasyncs for 400 appends`);
  // Every batch is: one write, its fdatasync, then its appends resolve (never before).
  const ev = ops(fs.events);
  const committed = new Set<number>();
  for (let i = 0; i < ev.length; i++) {
    const [kind, a, b] = ev[i]!.split(' ');
    if (kind === 'batch') {
      assert.match(ev[i - 1]!, /^datasync /);
      assert.match(ev[i - 2]!, /^append /);
      for (let l = Number(a); l <= Number(b); l++) committed.add(l);
    } else if (kind === 'resolved') {
      assert.ok(committed.has(Number(a)), `LSN ${a} resolved before its batch was synced`);
    }
  }
  assert.equal(committed.size, 400);
  // Per worker, LSNs increase in the order the appends were made.
  const byWorker = new Map<string, number[]>();
  for (const [lsn, rid] of order) {
    const w = String(Math.floor(Number(rid.slice(4)) / 1000));
    byWorker.set(w, [...(byWorker.get(w) ?? []), lsn]);
  }
  for (const lsns of byWorker.values())
    assert.deepEqual(
      lsns,
      [...lsns].sort((x, y) => x - y),
    );
  await writer.close();
  const recs = await allRecords(await scanWal('/wal', { fs }));
  const byLsn = new Map(recs.map((r) => [r.lsn, r.rid]));
  for (const [lsn, rid] of order) assert.equal(byLsn.get(lsn), rid);
});

test('a batch larger than maxBatchBytes is split into several lines, each written and synced, order kept', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs, { maxBatchBytes: 1500 }));
  fs.events.length = 0;
  const lsns = await writeBatches(writer, [30]);
  assert.deepEqual(
    lsns,
    Array.from({ length: 30 }, (_, i) => i + 1),
  );
  const syncs = ops(fs.events).filter((e) => e.startsWith('datasync')).length;
  assert.ok(syncs >= 5, `${syncs}`);
  await writer.close();
  const scan = await scanWal('/wal', { fs });
  assert.equal(scan.segments[0]!.lines, syncs);
  assert.equal(scan.recordCount, 30);
});

test('rollover: a new segment is created and the directory fsynced before the first write into it', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs, { segmentBytes: 800 }));
  fs.events.length = 0;
  await writeBatches(writer, [2, 2, 2, 2, 2, 2]);
  const ev = ops(fs.events);
  const creates = ev.flatMap((e, i) => (e.startsWith('create') ? [i] : []));
  assert.ok(creates.length >= 2);
  for (const i of creates) {
    const name = ev[i]!.split(' ')[1]!;
    assert.equal(ev[i + 1], 'syncDir /wal', `${name}: dir fsync right after create`);
    assert.ok(ev[i + 2]!.startsWith(`append ${name}`));
  }
  await writer.close();
  const scan = await scanWal('/wal', { fs });
  assert.equal(scan.segments.length, creates.length + 1);
  assert.equal(scan.recordCount, 12);
  for (const s of scan.segments) assert.equal(s.name, segmentName(s.baseLsn));
  // Reopening continues in the newest segment and numbering.
  const again = await WalWriter.open('/wal', faultOpts(fs, { segmentBytes: 800 }));
  assert.equal((await again.append(rec(99))).lsn, 13);
  await again.close();
});

test('past maxBytes appends fail fast with NAU_WAL_FULL (503); a checkpoint makes room again', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open(
    '/wal',
    faultOpts(fs, { segmentBytes: 1000, maxBytes: 3000 }),
  );
  let lsn = 0;
  let refused: unknown = null;
  for (let i = 1; i < 100 && refused === null; i++) {
    try {
      lsn = (await writer.append(rec(i))).lsn;
    } catch (err) {
      refused = err;
    }
  }
  assert.ok(lsn > 5);
  assert.ok(isWalError('NAU_WAL_FULL', /limit is 3000.*checkpoint/)(refused));
  assert.equal((refused as { status: number }).status, 503);
  assert.equal(writer.stats().rejected.sizeLimit, 1);
  assert.ok(writer.stats().bytesOnDisk <= 3000);
  await writer.checkpoint(lsn);
  assert.equal((await writer.append(rec(500))).lsn, lsn + 1);
  await writer.close();
});

test('free disk below minFreeBytes: NAU_WAL_FULL without writing; once space returns, appends succeed', async () => {
  const fs = new FaultFs({ capacityBytes: 10_000 });
  const writer = await WalWriter.open('/wal', { fs, minFreeBytes: 9_700 });
  await assert.rejects(
    writer.append(rec(1)),
    isWalError('NAU_WAL_FULL', /bytes free, below the minimum of 9700/),
  );
  assert.equal(fs.contents(`/wal/${SEG1}`).length, 0);
  assert.equal(writer.stats().rejected.diskFree, 1);
  fs.capacityBytes = 1_000_000;
  assert.equal((await writer.append(rec(2))).lsn, 1);
  await writer.close();
});

test('close waits for queued appends; later appends get NAU_WAL_CLOSED; the lock is released', async () => {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs));
  const pending = [writer.append(rec(1)), writer.append(rec(2))];
  await writer.close();
  assert.deepEqual(
    (await Promise.all(pending)).map((r) => r.lsn),
    [1, 2],
  );
  await assert.rejects(writer.append(rec(3)), isWalError('NAU_WAL_CLOSED'));
  await writer.close(); // idempotent
  const again = await WalWriter.open('/wal', faultOpts(fs));
  assert.equal(again.nextLsn, 3);
  await again.close();
});

test('nextLsnAtLeast: a fresh WAL starts there; an existing one records the jump as a fence', async () => {
  const fresh = new FaultFs();
  const w1 = await WalWriter.open('/wal', faultOpts(fresh, { nextLsnAtLeast: 500 }));
  assert.equal((await w1.append(rec(1))).lsn, 500);
  await w1.close();
  assert.deepEqual(fresh.names('/wal'), [segmentName(500)]);

  const fs = new FaultFs();
  const w2 = await WalWriter.open('/wal', faultOpts(fs));
  await writeBatches(w2, [3]);
  await w2.close();
  const w3 = await WalWriter.open('/wal', faultOpts(fs, { nextLsnAtLeast: 40 }));
  assert.equal((await w3.append(rec(9))).lsn, 40);
  await w3.close();
  const scan = await scanWal('/wal', { fs });
  assert.deepEqual(
    (await allRecords(scan)).map((r) => r.lsn),
    [1, 2, 3, 40],
  );
  assert.equal(scan.segments[0]!.fences, 1);
  // A floor at or below the next LSN changes nothing.
  const w4 = await WalWriter.open('/wal', faultOpts(fs, { nextLsnAtLeast: 7 }));
  assert.equal(w4.nextLsn, 41);
  await w4.close();
});

test('stats and hooks report appends, bytes, batch sizes, fdatasync latency and LSNs', async () => {
  const fs = new FaultFs();
  const batches: WalBatchEvent[] = [];
  const writer = await WalWriter.open(
    '/wal',
    faultOpts(fs, { hooks: { onBatch: (b) => batches.push(b) } }),
  );
  await writeBatches(writer, [4, 1, 3]);
  const s = writer.stats();
  assert.deepEqual(
    [s.appends, s.batches, s.syncs, s.lastBatchRecords, s.maxBatchRecords, s.lastLsn, s.segments],
    [8, 3, 3, 3, 4, 8, 1],
  );
  assert.equal(s.appendBytes, fs.contents(`/wal/${SEG1}`).length);
  assert.equal(s.bytesOnDisk, s.appendBytes);
  assert.equal(s.checkpointLagRecords, 8);
  assert.ok(s.syncSecondsTotal >= 0 && s.maxSyncSeconds >= s.lastSyncSeconds);
  assert.deepEqual(
    batches.map((b) => [b.firstLsn, b.lastLsn, b.records, b.waitSeconds.length]),
    [
      [1, 4, 4, 4],
      [5, 5, 1, 1],
      [6, 8, 3, 3],
    ],
  );
  assert.equal(
    batches.reduce((n, b) => n + b.bytes, 0),
    s.appendBytes,
  );
  // A throwing hook never breaks the write path.
  const w2fs = new FaultFs();
  const w2 = await WalWriter.open(
    '/wal',
    faultOpts(w2fs, {
      hooks: {
        onBatch: () => {
          throw new Error('boom');
        },
      },
    }),
  );
  assert.equal((await w2.append(rec(1))).lsn, 1);
  await w2.close();
  await writer.close();
});

test('invalid options are refused with NAU_WAL_BAD_OPTION', async () => {
  for (const bad of [
    { segmentBytes: 0 },
    { maxBytes: 1.5 },
    { maxRecordBytes: 64 * 1024 * 1024 },
    { minFreeBytes: -1 },
  ]) {
    await assert.rejects(WalWriter.open(tempDir(), bad), isWalError('NAU_WAL_BAD_OPTION'));
  }
});

test('the real file system: concurrent appends, reopen, records intact', async () => {
  const dir = tempDir();
  const writer = await WalWriter.open(dir, { minFreeBytes: 0, segmentBytes: 4096 });
  const lsns = await Promise.all(Array.from({ length: 64 }, (_, i) => writer.append(rec(i + 1))));
  assert.deepEqual(
    lsns.map((r) => r.lsn),
    Array.from({ length: 64 }, (_, i) => i + 1),
  );
  await writeBatches(writer, [5, 5, 5], 100);
  await writer.close();
  const scan = await scanWal(dir);
  assert.equal(scan.recordCount, 79);
  assert.ok(scan.segments.length > 1);
});
