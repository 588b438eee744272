// `nautilus wal inspect|verify`: output and exit codes (0 ok, 1 corruption, 2 unreadable).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { walInspectCommand, walVerifyCommand } from '../../src/cli/wal.ts';
import { segmentName } from '../../src/wal/index.ts';
import { buildWal, lineEnds, tempDir } from './helpers.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

test('verify: exit 0 on a sound WAL, with counts and LSN range', async () => {
  const dir = tempDir();
  await buildWal(dir, [2, 3, 1], { segmentBytes: 900 });
  const c = capture();
  assert.equal(await walVerifyCommand(dir, c.io), 0);
  assert.match(
    c.out(),
    /^ok: \d+ segment\(s\), 6 record\(s\), LSNs 1\.\.6, .*CRC, format and LSN order checked\n$/,
  );
});

test('verify: a torn tail is reported but is not an error (and nothing is modified)', async () => {
  const dir = tempDir();
  await buildWal(dir, [2]);
  const path = join(dir, segmentName(1));
  writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from('deadbeef {"v":1')]));
  const before = readFileSync(path);
  const c = capture();
  assert.equal(await walVerifyCommand(dir, c.io), 0);
  assert.match(c.out(), /torn tail: .*15 bytes from byte \d+ \(line 2: incomplete line/);
  assert.deepEqual(readFileSync(path), before);
});

test('verify: exit 1 on corruption, naming segment, byte offset and LSN range', async () => {
  const dir = tempDir();
  await buildWal(dir, [2, 2, 2]);
  const path = join(dir, segmentName(1));
  const buf = readFileSync(path);
  const at = lineEnds(buf)[0]! + 12;
  buf[at] = buf[at]! ^ 0x10;
  writeFileSync(path, buf);
  const c = capture();
  assert.equal(await walVerifyCommand(dir, c.io), 1);
  assert.match(
    c.err(),
    new RegExp(
      `^nautilus wal verify: \\[NAU_WAL_CORRUPT\\] WAL segment ${path} is corrupt at byte ${lineEnds(buf)[0]} \\(line 2\\).*LSNs 3\\.\\.6`,
    ),
  );
  assert.equal(await walInspectCommand(dir, {}, c.io), 1);
});

test('verify and inspect: exit 2 when the path cannot be read or is not a WAL', async () => {
  const dir = tempDir();
  const c = capture();
  assert.equal(await walVerifyCommand(join(dir, 'missing'), c.io), 2);
  writeFileSync(join(dir, 'notes.txt'), 'x');
  assert.equal(await walInspectCommand(join(dir, 'notes.txt'), {}, c.io), 2);
  assert.match(c.err(), /NAU_WAL_UNREADABLE.*not a WAL segment/);
});

test('inspect: segments, LSN ranges, sizes and sessions; --json; a single segment file', async () => {
  const dir = tempDir();
  await buildWal(dir, [3, 3, 3, 3], { segmentBytes: 1500 });
  const c = capture();
  assert.equal(await walInspectCommand(dir, {}, c.io), 0);
  const text = c.out();
  assert.match(text, new RegExp(`^WAL ${dir}\\n`));
  assert.match(text, /segment +LSNs +records +lines +bytes +sessions/);
  assert.match(
    text,
    new RegExp(`${segmentName(1)} +1\\.\\.\\d+ +\\d+ +\\d+ +[\\d.]+ (B|KiB) +\\d`),
  );
  assert.match(
    text,
    /total: \d+ segment\(s\), 12 record\(s\), LSNs 1\.\.12, .*next LSN 13, 3 session\(s\)/,
  );
  assert.match(text, /session +records +LSNs +last ts\nsess-1 +4 +1\.\.10 +2023-/);

  const j = capture();
  assert.equal(await walInspectCommand(dir, { json: true }, j.io), 0);
  const parsed = JSON.parse(j.out());
  assert.equal(parsed.recordCount, 12);
  assert.equal(parsed.sessions.length, 3);
  assert.equal(parsed.segments[0].name, segmentName(1));
  assert.equal(parsed.readRecords, undefined);

  const one = capture();
  assert.equal(await walInspectCommand(join(dir, segmentName(1)), {}, one.io), 0);
  assert.match(one.out(), /total: 1 segment\(s\)/);
});

test('the `nautilus wal verify` command exits 1 on corruption (real process)', async () => {
  const dir = tempDir();
  await buildWal(dir, [1, 1]);
  const path = join(dir, segmentName(1));
  writeFileSync(path, Buffer.concat([Buffer.from('garbage\n'), readFileSync(path)]));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'wal', 'verify', dir],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /NAU_WAL_CORRUPT.*is corrupt at byte 0 \(line 1\)/);
  const usage = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'wal', 'verify'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(usage.status, 2);
});
