// Line framing and record validation: round trips, CRC, versions, LSN order inside a line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { batchPayload, encodeRecordBody, fusedLines } from '../../src/wal/format.ts';
import {
  checkLine,
  frameLine,
  parseSegmentName,
  scanWal,
  segmentName,
  type WalAppendInput,
  WalWriter,
} from '../../src/wal/index.ts';
import { allRecords, isWalError, tempDir } from './helpers.ts';

function framed(payload: string): Buffer {
  return frameLine(payload).subarray(0, -1); // without the LF, as the reader sees it
}

function body(input: Parameters<typeof encodeRecordBody>[0]): string {
  const b = encodeRecordBody(input);
  assert.equal(typeof b, 'string');
  return b as string;
}

const tricky = [
  'plain',
  'Ünïcödé — 日本語 — emoji 🦑🐙',
  'embedded\nnewline\r\nand\ttabs\u0000nul\u2028sep',
  'lone surrogate \ud800 here',
  '"quotes" and \\backslashes\\ and }{ braces',
];

test('a line is 8 lowercase hex CRC digits, a space, compact JSON and one LF', () => {
  const line = frameLine(batchPayload(7, [body({ sid: 's', rid: 'r', ts: 5, ops: [] })]));
  const text = line.toString('utf8');
  assert.match(
    text,
    /^[0-9a-f]{8} \{"v":1,"first":7,"recs":\[\{"lsn":7,"sid":"s","rid":"r","ts":5,"ops":\[\]\}\]\}\n$/,
  );
  const payload = line.subarray(9, -1);
  assert.equal(text.slice(0, 8), (crc32(payload) >>> 0).toString(16).padStart(8, '0'));
});

test('framing round trip: Unicode, embedded newlines and control characters, large records', () => {
  const inputs: WalAppendInput[] = tricky.map((s, i) => ({
    sid: `sess-${s}`,
    rid: `r-${i}`,
    ts: 1_700_000_000_000 + i,
    ops: [{ op: 'assert', text: s, nested: { list: [s, 1.5, null, true] } }],
  }));
  inputs.push({ sid: 'big', rid: 'big', ts: 1, ops: [{ blob: 'x'.repeat(3 * 1024 * 1024) }] });
  const line = frameLine(batchPayload(41, inputs.map(body)));
  // Exactly one LF, at the end: JSON escapes every newline inside strings.
  assert.equal(line.indexOf(0x0a), line.length - 1);
  const check = checkLine(line.subarray(0, -1));
  assert.ok(check.ok);
  assert.equal(check.line.start, 41);
  assert.equal(check.line.next, 41 + inputs.length);
  assert.deepEqual(
    check.line.recs,
    inputs.map((r, i) => ({ lsn: 41 + i, ...r })),
  );
});

test('round trip through the writer and the reader, including records larger than a read chunk', async () => {
  const dir = tempDir();
  const writer = await WalWriter.open(dir, { minFreeBytes: 0 });
  const inputs = [
    ...tricky.map((s, i) => ({ sid: s, rid: `r${i}`, ts: i, ops: { s } })),
    { sid: 'big', rid: 'big', ts: 9, ops: { blob: '\u00e9\n'.repeat(700_000) } },
    { sid: 'after', rid: 'after', ts: 10, ops: null },
  ];
  const lsns = [];
  for (const input of inputs) lsns.push((await writer.append(input)).lsn);
  await writer.close();
  assert.deepEqual(
    lsns,
    inputs.map((_, i) => i + 1),
  );
  const records = await allRecords(await scanWal(dir));
  assert.deepEqual(
    records,
    inputs.map((r, i) => ({ lsn: i + 1, ...r })),
  );
});

test('CRC mismatch: any changed payload byte is caught, and so is a malformed prefix', () => {
  const line = framed(batchPayload(1, [body({ sid: 's', rid: 'r', ts: 1, ops: [1, 2, 3] })]));
  for (let i = 9; i < line.length; i++) {
    const bad = Buffer.from(line);
    bad[i] = bad[i]! ^ 0x01;
    const check = checkLine(bad);
    assert.equal(check.ok, false);
    assert.equal((check as { framed: boolean }).framed, false);
  }
  const upper = Buffer.from(
    line.toString('latin1').replace(/^[0-9a-f]{8}/, (h) => h.toUpperCase()),
    'latin1',
  );
  if (!upper.equals(line))
    assert.match((checkLine(upper) as { reason: string }).reason, /lowercase hex/);
  const noSpace = Buffer.from(line);
  noSpace[8] = 0x09;
  assert.match((checkLine(noSpace) as { reason: string }).reason, /no space/);
  assert.match((checkLine(Buffer.from('abc')) as { reason: string }).reason, /too short/);
  const flippedCrc = Buffer.from(line);
  flippedCrc[0] = flippedCrc[0] === 0x30 ? 0x31 : 0x30;
  assert.match((checkLine(flippedCrc) as { reason: string }).reason, /CRC mismatch \(stored/);
});

test('CRC-valid lines that are wrong inside are "framed" failures (never a torn write)', () => {
  const cases: [string, RegExp][] = [
    ['not json', /not valid JSON/],
    ['[1,2]', /not a JSON object/],
    ['{"first":1,"recs":[]}', /no version field/],
    ['{"v":1,"first":0,"recs":[]}', /"first" is not a positive integer/],
    ['{"v":1,"first":1,"recs":{}}', /"recs" is not an array/],
    ['{"v":1,"first":3,"recs":[]}', /fence with "skip_from"/],
    ['{"v":1,"first":3,"recs":[],"skip_from":3}', /fence/],
    [
      '{"v":1,"first":3,"recs":[{"lsn":3,"sid":"s","rid":"r","ts":1,"ops":1}],"skip_from":1}',
      /skip_from/,
    ],
    [
      '{"v":1,"first":3,"recs":[{"lsn":4,"sid":"s","rid":"r","ts":1,"ops":1}]}',
      /"lsn" is 4, expected 3/,
    ],
    [
      '{"v":1,"first":3,"recs":[{"lsn":3,"sid":"s","rid":"r","ts":1,"ops":1},{"lsn":3,"sid":"s","rid":"r","ts":1,"ops":1}]}',
      /record 2 of the line \(LSN 4\): "lsn" is 3, expected 4/,
    ],
    [
      '{"v":1,"first":3,"recs":[{"lsn":3,"sid":1,"rid":"r","ts":1,"ops":1}]}',
      /"sid" is not a string/,
    ],
    [
      '{"v":1,"first":3,"recs":[{"lsn":3,"sid":"s","rid":"r","ts":"1","ops":1}]}',
      /"ts" is not a number/,
    ],
    ['{"v":1,"first":3,"recs":[{"lsn":3,"sid":"s","rid":"r","ts":1}]}', /"ops" is missing/],
  ];
  for (const [payload, reason] of cases) {
    const check = checkLine(framed(payload));
    assert.equal(check.ok, false, payload);
    assert.equal((check as { framed: boolean }).framed, true, payload);
    assert.match((check as { reason: string }).reason, reason, payload);
  }
  const fence = checkLine(framed('{"v":1,"first":10,"recs":[],"skip_from":4}'));
  assert.ok(fence.ok);
  assert.deepEqual(
    { start: fence.line.start, next: fence.line.next, fence: fence.line.fence },
    { start: 4, next: 10, fence: true },
  );
});

test('an unknown format version is reported as such', () => {
  const check = checkLine(framed('{"v":2,"first":1,"recs":[]}'));
  assert.equal(check.ok, false);
  assert.equal((check as { unsupportedVersion?: number }).unsupportedVersion, 2);
  assert.match((check as { reason: string }).reason, /version 2 is not supported/);
});

test('a complete line whose LF is damaged, fused with the next one, is recognised', () => {
  const a = frameLine(batchPayload(1, [body({ sid: 's', rid: 'a', ts: 1, ops: { x: '}' } })]));
  const b = frameLine(batchPayload(2, [body({ sid: 's', rid: 'b', ts: 2, ops: {} })]));
  const fused = Buffer.concat([a, b]).subarray(0, -1);
  fused[a.length - 1] = 0x0b;
  assert.equal(fusedLines(fused), a.length - 1);
  assert.equal(fusedLines(Buffer.concat([a.subarray(0, -1), Buffer.alloc(600)])), -1);
  assert.equal(fusedLines(a.subarray(0, -1)), -1);
});

test('records that cannot be encoded are refused with a reason', () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const bad: [unknown, RegExp][] = [
    [{ sid: 1, rid: 'r', ts: 1, ops: [] }, /sid must be a string/],
    [{ sid: 's', rid: null, ts: 1, ops: [] }, /rid must be a string/],
    [{ sid: 's', rid: 'r', ts: Number.NaN, ops: [] }, /ts must be a finite number/],
    [{ sid: 's', rid: 'r', ts: 1 }, /ops must be a JSON value/],
    [{ sid: 's', rid: 'r', ts: 1, ops: () => 1 }, /ops must be a JSON value/],
    [{ sid: 's', rid: 'r', ts: 1, ops: 10n }, /cannot be serialized/],
    [{ sid: 's', rid: 'r', ts: 1, ops: circular }, /cannot be serialized/],
    [null, /not an object/],
  ];
  for (const [input, reason] of bad) {
    const r = encodeRecordBody(input as Parameters<typeof encodeRecordBody>[0]);
    assert.equal(typeof r, 'object');
    assert.match((r as { error: string }).error, reason);
  }
});

test('the writer refuses bad and oversized records without touching the log', async () => {
  const dir = tempDir();
  const writer = await WalWriter.open(dir, { minFreeBytes: 0, maxRecordBytes: 4096 });
  await assert.rejects(
    writer.append({ sid: 's', rid: 'r', ts: Number.POSITIVE_INFINITY, ops: [] }),
    isWalError('NAU_WAL_BAD_RECORD', /session "s", request "r".*finite/),
  );
  await assert.rejects(
    writer.append({ sid: 's', rid: 'big', ts: 1, ops: 'x'.repeat(5000) }),
    (err: unknown) =>
      isWalError('NAU_WAL_RECORD_TOO_LARGE', /limit is 4096/)(err) &&
      (err as { status: number }).status === 413,
  );
  assert.equal((await writer.append({ sid: 's', rid: 'ok', ts: 1, ops: [] })).lsn, 1);
  assert.deepEqual([writer.stats().rejected.badRecord, writer.stats().rejected.tooLarge], [1, 1]);
  await writer.close();
  const text = readFileSync(join(dir, segmentName(1)), 'utf8');
  assert.equal(text.split('\n').length, 2);
});

test('segment names carry the first LSN, zero-padded so they sort in LSN order', () => {
  assert.equal(segmentName(1), 'wal-00000000000000000001.jsonl');
  assert.equal(segmentName(Number.MAX_SAFE_INTEGER), 'wal-00009007199254740991.jsonl');
  const names = [1000, 2, 30, 1].map(segmentName).sort();
  assert.deepEqual(names.map(parseSegmentName), [1, 2, 30, 1000]);
  for (const bad of [
    'wal-1.jsonl',
    'wal-00000000000000000000.jsonl',
    'x.jsonl',
    'wal-00000000000000000001.jsonl.broken-1',
  ]) {
    assert.equal(parseSegmentName(bad), null, bad);
  }
});
