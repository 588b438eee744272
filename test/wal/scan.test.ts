// Recovery scan: LSN continuity within and across segments, versions, corruption refused with
// where and what, the operator's truncate-at-first-bad, read-only mode, record iteration.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NautilusError } from '../../src/errors.ts';
import { batchPayload, encodeRecordBody } from '../../src/wal/format.ts';
import { nodeWalFs } from '../../src/wal/fs.ts';
import { frameLine, scanWal, segmentName, WalWriter } from '../../src/wal/index.ts';
import { readRecordBatches } from '../../src/wal/segment-scan.ts';
import {
  allRecords,
  buildWal,
  isWalError,
  lineEnds,
  rec,
  tempDir,
  writeBatches,
} from './helpers.ts';

function line(first: number, count: number): Buffer {
  const bodies = Array.from(
    { length: count },
    (_, i) => encodeRecordBody(rec(first + i)) as string,
  );
  return frameLine(batchPayload(first, bodies));
}

function flip(buf: Buffer, at: number, mask: number): void {
  buf[at] = buf[at]! ^ mask;
}

function segments(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => /^wal-\d{20}\.jsonl$/.test(n))
    .sort();
}

test('an empty or new directory scans as an empty WAL; a missing one is unreadable', async () => {
  const dir = tempDir();
  const scan = await scanWal(dir);
  assert.deepEqual(
    [scan.segments.length, scan.nextLsn, scan.firstLsn, scan.lastLsn, scan.recordCount],
    [0, 1, null, null, 0],
  );
  await assert.rejects(
    scanWal(join(dir, 'nope'), { repair: 'none' }),
    isWalError('NAU_WAL_UNREADABLE', /cannot read WAL/),
  );
});

test('records come back in LSN order across segments; afterLsn skips what the store already has', async () => {
  const dir = tempDir();
  await buildWal(dir, [3, 1, 4, 1, 5, 9, 2, 6], { segmentBytes: 1500 });
  const scan = await scanWal(dir);
  assert.ok(scan.segments.length >= 3);
  const all = await allRecords(scan);
  assert.deepEqual(
    all.map((r) => r.lsn),
    Array.from({ length: 31 }, (_, i) => i + 1),
  );
  assert.deepEqual(all[4], { lsn: 5, ...rec(5) });
  assert.deepEqual(
    (await allRecords(scan, 17)).map((r) => r.lsn),
    Array.from({ length: 14 }, (_, i) => i + 18),
  );
  for (const [i, s] of scan.segments.entries()) {
    if (i > 0) assert.equal(s.baseLsn, scan.segments[i - 1]!.nextLsn);
    assert.equal(s.bytes, readFileSync(s.path).length);
  }
});

test('records are read back in bounded, non-empty batches, lines cut across read chunks included', async () => {
  // ~1.3 MB: one segment longer than the 1 MiB read chunk (lines cut across chunks), then the
  // same records over several segments.
  for (const segmentBytes of [4_000_000, 300_000]) {
    const dir = tempDir();
    await buildWal(
      dir,
      Array.from({ length: 50 }, () => 100),
      { segmentBytes },
    );
    const scan = await scanWal(dir);
    assert.equal(scan.recordCount, 5000);
    for (const afterLsn of [0, 1234]) {
      const batches: number[][] = [];
      for await (const b of readRecordBatches(nodeWalFs, scan.segments, afterLsn))
        batches.push(b.map((r) => r.lsn));
      assert.ok(batches.length > 1);
      // A batch closes at the first line that takes it to 512 records (lines hold 100 here).
      for (const b of batches) assert.ok(b.length > 0 && b.length < 512 + 100, `${b.length}`);
      const flat = batches.flat();
      assert.deepEqual(
        flat,
        (await allRecords(scan, afterLsn)).map((r) => r.lsn),
      );
      assert.deepEqual(
        flat,
        Array.from({ length: 5000 - afterLsn }, (_, i) => afterLsn + i + 1),
      );
    }
  }
});

test('onRecords hears every record the scan keeps, once, in order, as it validates them', async () => {
  const heard = async (dir: string, repair: 'truncate-tail' | 'truncate-at-first-bad') => {
    const lsns: number[] = [];
    const scan = await scanWal(dir, {
      repair,
      onRecords: async (records) => {
        await Promise.resolve(); // an async consumer holds the scan back
        for (const r of records) lsns.push(r.lsn);
      },
    });
    return { scan, lsns };
  };
  // Several segments, a torn tail.
  const torn = tempDir();
  await buildWal(torn, [3, 1, 4, 1, 5, 9, 2, 6], { segmentBytes: 1500 });
  const last = join(torn, segments(torn).at(-1)!);
  writeFileSync(last, Buffer.concat([readFileSync(last), Buffer.from('0badc0de {"v":1,"fi')]));
  const a = await heard(torn, 'truncate-tail');
  assert.equal(a.scan.repairs[0]?.kind, 'torn-tail');
  assert.deepEqual(
    a.lsns,
    (await allRecords(a.scan)).map((r) => r.lsn),
  );
  assert.equal(a.lsns.length, 31);
  // Corruption: what the scan heard before it refused is the valid prefix, and the operator's
  // truncation keeps exactly that prefix.
  const bad = tempDir();
  await buildWal(bad, [2, 2, 2, 2]);
  const path = join(bad, segmentName(1));
  const buf = readFileSync(path);
  flip(buf, lineEnds(buf)[1]! + 20, 0x04); // line 3: LSNs 5..6
  writeFileSync(path, buf);
  const seen: number[] = [];
  await assert.rejects(
    scanWal(bad, { onRecords: (rs) => void seen.push(...rs.map((r) => r.lsn)) }),
    isWalError('NAU_WAL_CORRUPT'),
  );
  assert.deepEqual(seen, [1, 2, 3, 4]);
  const b = await heard(bad, 'truncate-at-first-bad');
  assert.deepEqual(b.lsns, [1, 2, 3, 4]);
  assert.deepEqual(
    (await allRecords(b.scan)).map((r) => r.lsn),
    [1, 2, 3, 4],
  );
});

test('an LSN gap or a duplicated line inside a segment is corruption, even as the last line', async () => {
  const cases: [Buffer[], number, RegExp][] = [
    [
      [line(1, 2), line(4, 1), line(5, 1)],
      1,
      /LSN gap: the line starts at LSN 4, expected 3 \(LSNs 3\.\.3 are missing\)/,
    ],
    [
      [line(1, 2), line(3, 1), line(3, 1)],
      2,
      /duplicate or out-of-order line: it starts at LSN 3, expected 4/,
    ],
    [[line(1, 2), line(2, 2)], 1, /duplicate or out-of-order/],
    [[line(1, 2), line(9, 1)], 1, /LSN gap/],
  ];
  for (const [lines, badIndex, reason] of cases) {
    const dir = tempDir();
    const path = join(dir, segmentName(1));
    const content = Buffer.concat(lines);
    writeFileSync(path, content);
    const offset = lines.slice(0, badIndex).reduce((n, l) => n + l.length, 0);
    await assert.rejects(scanWal(dir), (err: unknown) => {
      const e = err as NautilusError;
      assert.equal(e.code, 'NAU_WAL_CORRUPT');
      assert.match(e.message, reason);
      assert.deepEqual(
        [e.detail.segment, e.detail.offset, e.detail.line],
        [path, offset, badIndex + 1],
      );
      return true;
    });
    assert.deepEqual(readFileSync(path), content, 'refused scans do not modify');
  }
});

test('a missing middle segment is corruption naming the missing LSNs', async () => {
  const dir = tempDir();
  await buildWal(dir, [2, 2, 2, 2, 2, 2], { segmentBytes: 900 });
  const names = segments(dir);
  assert.ok(names.length >= 3);
  const removed = names[1]!;
  rmSync(join(dir, removed));
  await assert.rejects(
    scanWal(dir),
    isWalError(
      'NAU_WAL_CORRUPT',
      new RegExp(`${names[2]} is corrupt at byte 0 \\(line 1\\).*LSNs \\d+\\.\\.\\d+ are missing`),
    ),
  );
});

test('a bad line in an older segment is corruption even with nothing valid after it in that file', async () => {
  const dir = tempDir();
  await buildWal(dir, [2, 2, 2, 2, 2, 2], { segmentBytes: 900 });
  const first = join(dir, segments(dir)[0]!);
  const buf = readFileSync(first);
  writeFileSync(first, buf.subarray(0, buf.length - 5)); // "torn" older segment
  await assert.rejects(scanWal(dir), isWalError('NAU_WAL_CORRUPT', /incomplete line/));
});

test('an unknown version is refused with NAU_WAL_UNSUPPORTED_VERSION, even by the operator repair', async () => {
  const dir = tempDir();
  const v2 = frameLine('{"v":2,"first":3,"recs":[{"lsn":3}]}');
  writeFileSync(join(dir, segmentName(1)), Buffer.concat([line(1, 2), v2]));
  for (const repair of ['truncate-tail', 'truncate-at-first-bad', 'none'] as const) {
    await assert.rejects(
      scanWal(dir, { repair }),
      isWalError(
        'NAU_WAL_UNSUPPORTED_VERSION',
        /version 2 is not supported.*upgrade Nautilus.*LSN 3/,
      ),
    );
  }
});

test('the corruption error names segment, byte offset, line and the LSN range after the damage', async () => {
  const dir = tempDir();
  await buildWal(dir, [2, 3, 1, 2, 2]);
  const path = join(dir, segmentName(1));
  const buf = readFileSync(path);
  const ends = lineEnds(buf);
  const bad = Buffer.from(buf);
  flip(bad, ends[1]! + 20, 0x04); // inside line 3 (LSN 6)
  writeFileSync(path, bad);
  await assert.rejects(
    scanWal(dir, { repairHint: 'restart with --wal-recovery truncate-at-first-bad' }),
    (err: unknown) => {
      const e = err as NautilusError;
      assert.equal(e.code, 'NAU_WAL_CORRUPT');
      assert.equal(e.status, 500);
      assert.equal(
        e.message,
        `WAL segment ${path} is corrupt at byte ${ends[1]} (line 3): ${e.detail.reason as string}. Records up to LSN 5 are intact; LSNs 6..10 come after the damage. Refusing to recover: restore the WAL, or restart with --wal-recovery truncate-at-first-bad (loses LSNs 6..10)`,
      );
      assert.match(e.detail.reason as string, /CRC mismatch/);
      assert.deepEqual(
        [e.detail.offset, e.detail.line, e.detail.lsnFrom, e.detail.lsnTo, e.detail.location],
        [ends[1], 3, 6, 10, { file: path, line: 3 }],
      );
      return true;
    },
  );
});

test('truncate-at-first-bad cuts there, keeps the cut bytes and later segments aside, reports the LSNs lost', async () => {
  const dir = tempDir();
  await buildWal(dir, [2, 2, 2, 2, 2, 2, 2, 2], { segmentBytes: 1700 });
  const names = segments(dir);
  assert.ok(names.length >= 3, `${names}`);
  const firstPath = join(dir, names[0]!);
  const buf = readFileSync(firstPath);
  const ends = lineEnds(buf);
  assert.ok(ends.length >= 3);
  const bad = Buffer.from(buf);
  flip(bad, ends[0]! + 30, 0x01); // line 2 of the oldest segment: LSNs 3..4
  writeFileSync(firstPath, bad);
  const laterBytes = names.slice(1).reduce((n, s) => n + readFileSync(join(dir, s)).length, 0);

  const scan = await scanWal(dir, { repair: 'truncate-at-first-bad', now: () => 1234 });
  assert.equal(scan.repairs.length, 1);
  const r = scan.repairs[0]!;
  assert.equal(r.kind, 'truncated-at-first-bad');
  assert.deepEqual(r.lost, { from: 3, to: 16 });
  assert.equal(r.offset, ends[0]);
  assert.equal(r.bytesRemoved, buf.length - ends[0]! + laterBytes);
  assert.deepEqual(
    r.keptAs,
    [`${names[0]}.broken-1234`, ...names.slice(1).map((n) => `${n}.broken-1234`)].map((n) =>
      join(dir, n),
    ),
  );
  assert.deepEqual(readFileSync(r.keptAs[0]!), bad.subarray(ends[0]!));
  // The valid prefix, then a fence: LSNs 3..16 are never handed out again.
  const fence = readFileSync(firstPath).subarray(ends[0]!).toString('utf8');
  assert.match(fence, /^[0-9a-f]{8} \{"v":1,"first":17,"recs":\[\],"skip_from":3\}\n$/);
  assert.deepEqual(readFileSync(firstPath).subarray(0, ends[0]!), buf.subarray(0, ends[0]!));
  assert.deepEqual(
    (await allRecords(scan)).map((x) => x.lsn),
    [1, 2],
  );
  assert.equal(scan.nextLsn, 17);
  assert.deepEqual(segments(dir), [names[0]]);

  // Idempotent, and the writer continues after the fence.
  const again = await scanWal(dir);
  assert.deepEqual([again.repairs.length, again.nextLsn, again.segments[0]!.fences], [0, 17, 1]);
  const writer = await WalWriter.open(dir, { minFreeBytes: 0 });
  assert.equal(writer.nextLsn, 17);
  assert.equal((await writer.append(rec(99))).lsn, 17);
  await writer.close();
  const after = await scanWal(dir);
  assert.deepEqual(
    (await allRecords(after)).map((x) => x.lsn),
    [1, 2, 17],
  );
  assert.equal(after.segments[0]!.fences, 1);
});

test('truncate-at-first-bad on a missing segment moves the segments after the gap aside', async () => {
  const dir = tempDir();
  await buildWal(dir, [2, 2, 2, 2, 2, 2], { segmentBytes: 900 });
  const names = segments(dir);
  rmSync(join(dir, names[1]!));
  const before = (await scanWal(join(dir), { repair: 'none', segment: names[0]! })).nextLsn;
  const scan = await scanWal(dir, { repair: 'truncate-at-first-bad', now: () => 7 });
  const r = scan.repairs[0]!;
  assert.equal(r.segment, join(dir, names[2]!));
  assert.deepEqual(r.lost, { from: before, to: 12 });
  assert.equal(scan.nextLsn, 13);
  assert.deepEqual(segments(dir), [names[0]]);
  for (const n of names.slice(2)) assert.ok(existsSync(join(dir, `${n}.broken-7`)));
});

test('read-only mode reports a torn tail without cutting it; corruption still throws', async () => {
  const dir = tempDir();
  await buildWal(dir, [2, 2]);
  const path = join(dir, segmentName(1));
  writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from('0000')]));
  const before = readFileSync(path);
  const scan = await scanWal(dir, { repair: 'none' });
  assert.equal(scan.repairs[0]?.applied, false);
  assert.equal(scan.repairs[0]?.bytesRemoved, 4);
  assert.equal(scan.recordCount, 4);
  assert.deepEqual(readFileSync(path), before);
  assert.equal((await allRecords(scan)).length, 4);
});

test('readRecords refuses a segment that changed after the scan', async () => {
  const dir = tempDir();
  await buildWal(dir, [2, 2]);
  const scan = await scanWal(dir);
  const path = join(dir, segmentName(1));
  const buf = readFileSync(path);
  flip(buf, 15, 1);
  writeFileSync(path, buf);
  await assert.rejects(
    allRecords(scan),
    isWalError('NAU_WAL_CORRUPT', /changed since it was scanned/),
  );
});

test('a garbled tail longer than the 16 MiB line limit is still cut as a torn tail', async () => {
  const dir = tempDir();
  await buildWal(dir, [1, 1]);
  const path = join(dir, segmentName(1));
  const good = readFileSync(path);
  writeFileSync(path, Buffer.concat([good, Buffer.alloc(17 * 1024 * 1024, 0x41)]));
  const scan = await scanWal(dir);
  assert.equal(scan.repairs[0]?.kind, 'torn-tail');
  assert.match(scan.repairs[0]!.reason, /longer than the 16 MiB limit/);
  assert.deepEqual(readFileSync(path), good);
});

test('other files in the directory are listed, not read as segments', async () => {
  const dir = tempDir();
  await buildWal(dir, [1]);
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  writeFileSync(join(dir, `${segmentName(1)}.broken-5`), 'junk');
  const scan = await scanWal(dir);
  assert.deepEqual(scan.otherFiles, ['notes.txt', `${segmentName(1)}.broken-5`]);
  assert.equal(scan.recordCount, 1);
});

test('a writer continues numbering from the WAL it recovered', async () => {
  const dir = tempDir();
  await buildWal(dir, [3, 2]);
  const writer = await WalWriter.open(dir, { minFreeBytes: 0 });
  assert.equal(writer.recovery.recordCount, 5);
  assert.deepEqual(await writeBatches(writer, [2], 50), [6, 7]);
  await writer.close();
  assert.equal((await scanWal(dir)).lastLsn, 7);
});

test('a single segment can only be scanned read-only', async () => {
  const dir = tempDir();
  await buildWal(dir, [1]);
  await assert.rejects(
    scanWal(dir, { segment: segmentName(1) }),
    isWalError('NAU_WAL_BAD_OPTION', /read-only/),
  );
  assert.equal((await scanWal(dir, { segment: segmentName(1), repair: 'none' })).recordCount, 1);
});
