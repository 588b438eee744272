// Torn tails: a WAL cut at every byte offset of its last records (with nothing, zeros or
// garbage after the cut) recovers exactly the complete-line prefix, leaves the file cut there,
// and scans clean again (idempotent). Bit flips before the tail are refused instead.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NautilusError } from '../../src/errors.ts';
import { FaultFs, scanWal, seededRandom, segmentName, WalWriter } from '../../src/wal/index.ts';
import {
  allRecords,
  buildWal,
  faultOpts,
  lineEnds,
  rec,
  tempDir,
  writeBatches,
} from './helpers.ts';

const SIZES = [1, 3, 2, 1, 4, 1, 2, 3];
const SEG = `/wal/${segmentName(1)}`;

async function pristine(): Promise<Buffer> {
  const fs = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs));
  await writeBatches(writer, SIZES);
  await writer.close();
  return fs.contents(SEG);
}

type Tail = 'none' | 'zeros' | 'garbage' | 'garbage-lines';
function tailBytes(kind: Tail, seed: number): Buffer {
  if (kind === 'none') return Buffer.alloc(0);
  if (kind === 'zeros') return Buffer.alloc(4096);
  const rnd = seededRandom(seed);
  const out = Buffer.from(Array.from({ length: 700 }, () => Math.floor(rnd() * 256)));
  if (kind === 'garbage-lines') for (let i = 50; i < out.length; i += 97) out[i] = 0x0a;
  return out;
}

function expectedAt(
  ends: readonly number[],
  cut: number,
): { lines: number; end: number; records: number } {
  const lines = ends.filter((e) => e <= cut).length;
  return {
    lines,
    end: lines === 0 ? 0 : ends[lines - 1]!,
    records: SIZES.slice(0, lines).reduce((a, b) => a + b, 0),
  };
}

test('cut at every byte offset of the last 4 records, plus zero/garbage tails: exactly the complete prefix is recovered', async () => {
  const buf = await pristine();
  const ends = lineEnds(buf);
  assert.equal(ends.length, SIZES.length);
  let cases = 0;
  for (let cut = ends[3]!; cut <= buf.length; cut++) {
    for (const kind of ['none', 'zeros', 'garbage', 'garbage-lines'] as const) {
      const fs = new FaultFs();
      await fs.mkdirp('/wal');
      const damaged = Buffer.concat([buf.subarray(0, cut), tailBytes(kind, cut)]);
      fs.setContents(SEG, damaged);
      const want = expectedAt(ends, cut);
      const scan = await scanWal('/wal', { fs });
      const what = `cut ${cut} + ${kind}`;
      assert.deepEqual(
        (await allRecords(scan)).map((r) => r.lsn),
        Array.from({ length: want.records }, (_, i) => i + 1),
        what,
      );
      assert.equal(scan.nextLsn, want.records + 1, what);
      assert.deepEqual(fs.contents(SEG), buf.subarray(0, want.end), what);
      if (damaged.length === want.end) {
        assert.equal(scan.repairs.length, 0, what);
      } else {
        assert.equal(scan.repairs.length, 1, what);
        const r = scan.repairs[0]!;
        assert.deepEqual(
          [r.kind, r.offset, r.bytesRemoved, r.applied],
          ['torn-tail', want.end, damaged.length - want.end, true],
          what,
        );
      }
      const again = await scanWal('/wal', { fs });
      assert.equal(again.repairs.length, 0, `${what}: second scan`);
      assert.equal(again.recordCount, want.records, `${what}: second scan`);
      cases++;
    }
  }
  assert.ok(cases > 1000, `only ${cases} cases`);
});

test('after a torn tail the writer appends right after the last complete line (trim before the first append)', async () => {
  const buf = await pristine();
  const ends = lineEnds(buf);
  for (let cut = ends[5]! + 1; cut < buf.length; cut += 53) {
    const fs = new FaultFs();
    await fs.mkdirp('/wal');
    fs.setContents(SEG, Buffer.concat([buf.subarray(0, cut), Buffer.alloc(512)]));
    const want = expectedAt(ends, cut);
    const writer = await WalWriter.open('/wal', faultOpts(fs));
    assert.equal(writer.recovery.repairs[0]?.kind, 'torn-tail');
    assert.equal((await writer.append(rec(100))).lsn, want.records + 1);
    await writer.close();
    const scan = await scanWal('/wal', { fs });
    assert.equal(scan.repairs.length, 0);
    assert.equal(scan.lastLsn, want.records + 1);
  }
});

test('the same on the real file system (sampled offsets)', async () => {
  const dir = tempDir();
  await buildWal(dir, SIZES);
  const path = join(dir, segmentName(1));
  const buf = readFileSync(path);
  const ends = lineEnds(buf);
  for (let cut = ends[3]!; cut <= buf.length; cut += 41) {
    truncateSync(path, 0);
    appendFileSync(
      path,
      Buffer.concat([buf.subarray(0, cut), Buffer.alloc(cut % 2 === 0 ? 4096 : 0)]),
    );
    const want = expectedAt(ends, cut);
    const scan = await scanWal(dir);
    assert.equal(scan.recordCount, want.records, `cut ${cut}`);
    assert.deepEqual(readFileSync(path), buf.subarray(0, want.end), `cut ${cut}`);
  }
});

test('a single-bit flip anywhere before the last line is refused as corruption, never truncated', async () => {
  const fs0 = new FaultFs();
  const writer = await WalWriter.open('/wal', faultOpts(fs0, { segmentBytes: 1200 }));
  await writeBatches(writer, [2, 1, 3, 1, 2, 2, 1, 3, 1, 1]);
  await writer.close();
  const segs = fs0.names('/wal').filter((n) => n.startsWith('wal-') && n.endsWith('.jsonl'));
  assert.ok(segs.length >= 3, `want several segments, got ${segs.length}`);
  const files = new Map(segs.map((n) => [n, fs0.contents(`/wal/${n}`)]));
  let flips = 0;
  for (const [target, content] of files) {
    const isNewest = target === segs.at(-1);
    const ends = lineEnds(content);
    const limit = isNewest ? ends.at(-2)! : content.length; // the newest segment's last line is the tail
    for (let pos = 0; pos < limit; pos++) {
      const fs = new FaultFs();
      await fs.mkdirp('/wal');
      for (const [n, c] of files) fs.setContents(`/wal/${n}`, c);
      const bad = Buffer.from(content);
      bad[pos] = bad[pos]! ^ (1 << (pos % 8));
      fs.setContents(`/wal/${target}`, bad);
      await assert.rejects(
        scanWal('/wal', { fs }),
        (err: unknown) => {
          const e = err as NautilusError;
          assert.equal(e.code, 'NAU_WAL_CORRUPT', `flip at ${target}:${pos}: ${e.message}`);
          assert.match(e.message, new RegExp(`${target} is corrupt at byte \\d+ \\(line \\d+\\)`));
          assert.match(e.message, /LSNs \d+\.\.\d+ come after the damage/);
          return true;
        },
        `flip at ${target}:${pos}`,
      );
      // Nothing was modified.
      assert.deepEqual(fs.contents(`/wal/${target}`), bad);
      flips++;
    }
  }
  assert.ok(flips > 1000, `only ${flips} flips`);
});
