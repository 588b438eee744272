// Fault injection and recovery: EIO on fsync/write, short writes, torn tails, corrupt lines.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { AuditLog, verifyAuditFile } from '../../src/audit/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { readLinesOf, recordingFs, requestEvent, tempLogPath } from './helpers.ts';

async function writeLog(path: string, n: number): Promise<void> {
  const log = await AuditLog.open(path);
  for (let i = 1; i <= n; i++) await log.append(requestEvent(i));
  await log.close();
}

test('EIO on fsync rejects every pending append and the log refuses further appends', async () => {
  const path = tempLogPath();
  const events: string[] = [];
  const log = await AuditLog.open(path, { fs: recordingFs(events, { failSyncAt: 2 }) });
  await log.append(requestEvent(1)); // first batch syncs fine
  const batch = Array.from({ length: 4 }, (_, i) => log.append(requestEvent(10 + i)));
  const outcomes = await Promise.allSettled(batch);
  for (const o of outcomes) {
    assert.equal(o.status, 'rejected');
    const err = (o as PromiseRejectedResult).reason;
    assert.ok(err instanceof NautilusError);
    assert.equal(err.code, 'NAU_AUDIT_WRITE_FAILED');
    assert.match(err.message, /fsync failed \(EIO/);
    assert.match(err.message, /seq 2\.\.5/);
  }
  assert.equal(log.failed?.code, 'NAU_AUDIT_WRITE_FAILED');
  await assert.rejects(log.append(requestEvent(99)), {
    code: 'NAU_AUDIT_WRITE_FAILED',
    message: /refuses appends after an earlier failure/,
  });
  await log.close();
  // The unacknowledged batch was cut back: the file holds exactly the acknowledged line.
  assert.ok(events.includes(`truncate:${String(readFileSync(path).length)}`));
  assert.equal(readLinesOf(path).length, 1);
  const check = await verifyAuditFile(path);
  assert.deepEqual([check.ok, check.entries], [true, 1]);
});

test('appends queued behind a failing batch are rejected too, none is dropped silently', async () => {
  const path = tempLogPath();
  const log = await AuditLog.open(path, { fs: recordingFs([], { failSyncAt: 1 }) });
  const first = log.append(requestEvent(1));
  await new Promise((r) => setImmediate(r)); // the first batch is now in flight
  const queued = [log.append(requestEvent(2)), log.append(requestEvent(3))];
  const all = await Promise.allSettled([first, ...queued]);
  assert.deepEqual(
    all.map((o) => o.status),
    ['rejected', 'rejected', 'rejected'],
  );
  await log.close();
});

test('EIO on write rejects the batch and stops the log', async () => {
  const path = tempLogPath();
  const log = await AuditLog.open(path, { fs: recordingFs([], { failWriteAt: 1 }) });
  const outcomes = await Promise.allSettled([
    log.append(requestEvent(1)),
    log.append(requestEvent(2)),
  ]);
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['rejected', 'rejected'],
  );
  assert.match(String((outcomes[0] as PromiseRejectedResult).reason.message), /write failed/);
  await assert.rejects(log.append(requestEvent(3)), { code: 'NAU_AUDIT_WRITE_FAILED' });
  await log.close();
  assert.equal(statSync(path).size, 0);
});

test('short writes are continued until the whole batch is on disk', async () => {
  const path = tempLogPath();
  const events: string[] = [];
  const log = await AuditLog.open(path, { fs: recordingFs(events, { maxWrite: 37 }) });
  await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(requestEvent(i))));
  await log.close();
  const writes = events.filter((e) => e.startsWith('write:'));
  assert.ok(writes.length > 20, `expected many short writes, got ${writes.length}`);
  assert.deepEqual(
    events.filter((e) => e === 'sync'),
    ['sync'],
  );
  const check = await verifyAuditFile(path);
  assert.deepEqual([check.ok, check.entries], [true, 20]);
});

test('a short write followed by EIO fails the batch; the partial line is cut back', async () => {
  const path = tempLogPath();
  await writeLog(path, 2);
  const before = readFileSync(path);
  const log = await AuditLog.open(path, { fs: recordingFs([], { maxWrite: 50, failWriteAt: 3 }) });
  await assert.rejects(log.append(requestEvent(3)), { code: 'NAU_AUDIT_WRITE_FAILED' });
  await log.close();
  assert.deepEqual(readFileSync(path), before);
});

test('a torn last line is truncated on open with a warning, and the chain continues', async () => {
  const path = tempLogPath();
  await writeLog(path, 3);
  const intact = readFileSync(path);
  const torn = '{"v":1,"seq":4,"ts":"2030-01-0'; // a crash mid-append
  appendFileSync(path, torn);
  const warnings: string[] = [];
  const log = await AuditLog.open(path, { warn: (m) => warnings.push(m) });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /truncated an incomplete last line \((\d+) bytes at offset (\d+)\)/);
  assert.ok(warnings[0]!.includes(`(${torn.length} bytes at offset ${intact.length})`));
  assert.deepEqual(readFileSync(path), intact);
  assert.equal((await log.append(requestEvent(4))).seq, 4);
  await log.close();
  const check = await verifyAuditFile(path);
  assert.deepEqual([check.ok, check.entries], [true, 4]);
});

test('a file holding only a torn line starts a fresh chain', async () => {
  const path = tempLogPath();
  writeFileSync(path, '{"v":1,"seq":1');
  const warnings: string[] = [];
  const log = await AuditLog.open(path, { warn: (m) => warnings.push(m) });
  assert.equal((await log.append(requestEvent(1))).seq, 1);
  await log.close();
  assert.equal(warnings.length, 1);
  assert.equal((await verifyAuditFile(path)).ok, true);
});

test('a corrupt last complete line is NAU_AUDIT_CORRUPT naming its line number', async () => {
  const path = tempLogPath();
  await writeLog(path, 5);
  appendFileSync(path, 'not json at all\n');
  await assert.rejects(AuditLog.open(path), (err: unknown) => {
    assert.ok(err instanceof NautilusError);
    assert.equal(err.code, 'NAU_AUDIT_CORRUPT');
    assert.match(err.message, /audit\.jsonl:6: not valid JSON/);
    assert.deepEqual(err.detail.location, { file: path, line: 6 });
    return true;
  });
  // The failed open released its lock: a repaired file opens.
  writeFileSync(path, `${readLinesOf(path).slice(0, 5).join('\n')}\n`);
  const log = await AuditLog.open(path);
  await log.close();
});

test('an edited line before the tail is NAU_AUDIT_CORRUPT when the tail cannot be verified', async () => {
  const path = tempLogPath();
  await writeLog(path, 6);
  const lines = readLinesOf(path);
  lines[4] = lines[4]!.replace('req-5', 'req-X'); // line 5: the tail's link to it breaks
  writeFileSync(path, `${lines.join('\n')}\n`);
  await assert.rejects(AuditLog.open(path), (err: unknown) => {
    assert.ok(err instanceof NautilusError);
    assert.equal(err.code, 'NAU_AUDIT_CORRUPT');
    assert.match(err.message, /:6: prev_hash does not match the SHA-256 of line 5/);
    return true;
  });
});

test('a corrupt middle line: verifyOnOpen "full" refuses naming it; "tail" checks only the end', async () => {
  const path = tempLogPath();
  await writeLog(path, 8);
  const lines = readLinesOf(path);
  lines[2] = '{"v":1,"seq":3,garbage';
  writeFileSync(path, `${lines.join('\n')}\n`);
  await assert.rejects(AuditLog.open(path, { verifyOnOpen: 'full' }), (err: unknown) => {
    assert.ok(err instanceof NautilusError);
    assert.equal(err.code, 'NAU_AUDIT_CORRUPT');
    assert.match(err.message, /audit\.jsonl:3: not valid JSON/);
    assert.equal(err.detail.location?.line, 3);
    return true;
  });
  // The default check reads only the last two lines (documented); `audit verify` finds it.
  const log = await AuditLog.open(path);
  await log.close();
  const check = await verifyAuditFile(path);
  assert.equal(check.ok, false);
  assert.deepEqual(
    check.problems.map((p) => p.line),
    [3, 4],
  );
});

test('verifyOnOpen "full" also repairs a torn tail', async () => {
  const path = tempLogPath();
  await writeLog(path, 3);
  appendFileSync(path, '{"v":1');
  const warnings: string[] = [];
  const log = await AuditLog.open(path, { verifyOnOpen: 'full', warn: (m) => warnings.push(m) });
  assert.equal((await log.append(requestEvent(4))).seq, 4);
  await log.close();
  assert.equal(warnings.length, 1);
  assert.equal((await verifyAuditFile(path)).ok, true);
});

test('a first line whose prev_hash is not the genesis hash is refused', async () => {
  const path = tempLogPath();
  await writeLog(path, 1);
  const line = readLinesOf(path)[0]!.replace(
    /"prev_hash":"0{64}"/,
    `"prev_hash":"${'1'.repeat(64)}"`,
  );
  writeFileSync(path, `${line}\n`);
  await assert.rejects(AuditLog.open(path), {
    code: 'NAU_AUDIT_CORRUPT',
    message: /:1: prev_hash of the first line is not the genesis hash/,
  });
});
