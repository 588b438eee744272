// verifyAuditFile and `nautilus audit verify`: tampering is found and named by line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuditLog, verifyAuditFile } from '../../src/audit/index.ts';
import { readLinesOf, requestEvent, tempLogPath } from './helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function writeLog(n: number): Promise<{ path: string; lines: string[] }> {
  const path = tempLogPath();
  const log = await AuditLog.open(path, { fsync: false });
  await Promise.all(Array.from({ length: n }, (_, i) => log.append(requestEvent(i + 1))));
  await log.close();
  return { path, lines: readLinesOf(path) };
}

function rewrite(path: string, lines: string[]): void {
  writeFileSync(path, `${lines.join('\n')}\n`);
}

const linesOf = (r: { problems: readonly { line: number }[] }) => r.problems.map((p) => p.line);

test('an intact log verifies', async () => {
  const { path } = await writeLog(10);
  const r = await verifyAuditFile(path);
  assert.deepEqual([r.ok, r.entries, r.problems, r.lastSeq], [true, 10, [], 10]);
});

test('an empty log verifies with zero entries', async () => {
  const path = tempLogPath();
  writeFileSync(path, '');
  const r = await verifyAuditFile(path);
  assert.deepEqual([r.ok, r.entries, r.lastSeq, r.lastHash], [true, 0, null, null]);
});

test('an edited line breaks the next line’s prev_hash', async () => {
  const { path, lines } = await writeLog(6);
  lines[2] = lines[2]!.replace('"outcome":"ok"', '"outcome":"denied"');
  rewrite(path, lines);
  const r = await verifyAuditFile(path);
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems, [
    {
      line: 4,
      problem:
        'prev_hash does not match the SHA-256 of line 3 (that line was edited, or lines were removed or reordered here)',
    },
  ]);
});

test('a deleted line shows as a seq gap and a hash mismatch', async () => {
  const { path, lines } = await writeLog(6);
  lines.splice(3, 1); // seq 4 removed
  rewrite(path, lines);
  const r = await verifyAuditFile(path);
  assert.equal(r.entries, 5);
  assert.deepEqual(linesOf(r), [4, 4]);
  assert.match(r.problems[0]!.problem, /seq 5 does not follow seq 3 of line 3/);
  assert.match(r.problems[1]!.problem, /prev_hash does not match the SHA-256 of line 3/);
});

test('swapped lines show as seq disorder and hash mismatches', async () => {
  const { path, lines } = await writeLog(6);
  [lines[2], lines[3]] = [lines[3]!, lines[2]!];
  rewrite(path, lines);
  const r = await verifyAuditFile(path);
  assert.equal(r.ok, false);
  const seqProblems = r.problems.filter((p) => p.problem.startsWith('seq'));
  const hashProblems = r.problems.filter((p) => p.problem.startsWith('prev_hash'));
  assert.deepEqual(linesOf({ problems: seqProblems }), [3, 4, 5]);
  assert.deepEqual(linesOf({ problems: hashProblems }), [3, 4, 5]);
});

test('a torn tail and a non-JSON line are reported', async () => {
  const { path, lines } = await writeLog(4);
  lines[1] = 'this is not json';
  rewrite(path, lines);
  appendFileSync(path, '{"v":1,"se');
  const r = await verifyAuditFile(path);
  assert.equal(r.entries, 4);
  assert.deepEqual(r.problems, [
    { line: 2, problem: r.problems[0]!.problem },
    {
      line: 3,
      problem:
        'prev_hash does not match the SHA-256 of line 2 (that line was edited, or lines were removed or reordered here)',
    },
    {
      line: 5,
      problem: 'torn tail: 10 bytes after the last newline (an append that never completed)',
    },
  ]);
  assert.match(r.problems[0]!.problem, /^not valid JSON/);
});

test('a line with a missing header field is reported', async () => {
  const { path, lines } = await writeLog(2);
  const first = JSON.parse(lines[0]!);
  delete first.ts;
  first.v = 2;
  lines[0] = JSON.stringify(first);
  rewrite(path, lines);
  const r = await verifyAuditFile(path);
  const problems = r.problems.filter((p) => p.line === 1).map((p) => p.problem);
  assert.deepEqual(problems, ['unsupported schema version v=2', 'missing or invalid ts']);
});

test('an unreadable file is NAU_AUDIT_UNREADABLE', async () => {
  await assert.rejects(verifyAuditFile('/nonexistent/audit.jsonl'), {
    code: 'NAU_AUDIT_UNREADABLE',
    message: /\/nonexistent\/audit\.jsonl/,
  });
});

function nautilus(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('nautilus audit verify: exit 0 intact, 1 with problems by line, 2 unreadable or no file', async () => {
  const { path, lines } = await writeLog(3);
  const ok = nautilus('audit', 'verify', path);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: 3 entries, chain intact\nhead: seq 3 sha256 [0-9a-f]{64}\n$/);

  lines[0] = lines[0]!.replace('req-1', 'req-9');
  rewrite(path, lines);
  const bad = nautilus('audit', 'verify', path);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /^line 2: prev_hash does not match the SHA-256 of line 1/m);
  assert.match(bad.stdout, /^FAILED: 1 problems in 3 entries$/m);

  const dir = mkdtempSync(join(tmpdir(), 'nautilus-audit-'));
  const missing = nautilus('audit', 'verify', join(dir, 'nope.jsonl'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read audit log .*nope\.jsonl/);
  assert.equal(nautilus('audit', 'verify', dir).status, 2); // a directory
  assert.equal(nautilus('audit', 'verify').status, 2); // missing argument
});
