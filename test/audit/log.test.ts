// AuditLog: chain fields, group commit, fsync before resolve, reopen, locking.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuditLog, GENESIS_HASH, verifyAuditFile } from '../../src/audit/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { readLinesOf, recordingFs, requestEvent, tempLogPath } from './helpers.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const fixedClock = () => new Date('2030-01-02T03:04:05.000Z');

test('lines carry v, consecutive seq, ts, kind and prev_hash = SHA-256 of the previous line', async () => {
  const path = tempLogPath();
  const log = await AuditLog.open(path, { now: fixedClock });
  const r1 = await log.append(requestEvent(1, { attestation_jti: 'jti-1' }));
  const r2 = await log.append({ kind: 'session_closed', session_id: 'sess-1', reason: 'expired' });
  await log.close();

  const lines = readLinesOf(path);
  assert.equal(lines.length, 2);
  const [a, b] = lines.map((l) => JSON.parse(l));
  assert.deepEqual(
    [a.v, a.seq, a.ts, a.kind, a.prev_hash],
    [1, 1, '2030-01-02T03:04:05.000Z', 'request', GENESIS_HASH],
  );
  assert.equal(a.attestation_jti, 'jti-1');
  assert.deepEqual(a.sources_denied, [
    { source_id: 'hr', reason: 'classification', rule: 'deny-secret' },
  ]);
  assert.equal(b.seq, 2);
  assert.equal(b.prev_hash, sha256(lines[0]!));
  assert.deepEqual(r1, { seq: 1, hash: sha256(lines[0]!) });
  assert.deepEqual(r2, { seq: 2, hash: sha256(lines[1]!) });
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('an entry cannot override the chain header fields', async () => {
  const path = tempLogPath();
  const log = await AuditLog.open(path);
  const forged = { ...requestEvent(1), seq: 99, v: 7, prev_hash: 'f'.repeat(64) };
  await log.append(forged);
  await log.close();
  const line = JSON.parse(readLinesOf(path)[0]!);
  assert.deepEqual([line.v, line.seq, line.prev_hash], [1, 1, GENESIS_HASH]);
});

test('an unserializable entry is rejected without consuming a seq', async () => {
  const path = tempLogPath();
  const log = await AuditLog.open(path);
  const bad = { ...requestEvent(1), facts_asserted: { n: 1n } } as never;
  await assert.rejects(log.append(bad), { code: 'NAU_AUDIT_INVALID_ENTRY' });
  assert.equal((await log.append(requestEvent(2))).seq, 1);
  await log.close();
  assert.equal((await verifyAuditFile(path)).ok, true);
});

test('group commit: 500 appends in one turn share one write and one fsync, in call order', async () => {
  const path = tempLogPath();
  const events: string[] = [];
  const log = await AuditLog.open(path, { fs: recordingFs(events) });
  const results = await Promise.all(
    Array.from({ length: 500 }, (_, i) => log.append(requestEvent(i))),
  );
  await log.close();
  assert.deepEqual(
    results.map((r) => r.seq),
    Array.from({ length: 500 }, (_, i) => i + 1),
  );
  assert.equal(events.filter((e) => e.startsWith('write')).length, 1);
  assert.equal(events.filter((e) => e === 'sync').length, 1);
  const lines = readLinesOf(path).map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.request_id),
    Array.from({ length: 500 }, (_, i) => `req-${i}`),
  );
  const check = await verifyAuditFile(path);
  assert.deepEqual([check.ok, check.entries], [true, 500]);
});

test('appends made while a flush is in flight form the next batch, still in order', async () => {
  const path = tempLogPath();
  const events: string[] = [];
  const log = await AuditLog.open(path, { fs: recordingFs(events) });
  const first = Array.from({ length: 10 }, (_, i) => log.append(requestEvent(i)));
  // Appends issued from later turns, while the first batch is being written and synced.
  const later: Promise<unknown>[] = [];
  for (let turn = 0; turn < 5; turn++) {
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 20; i++) later.push(log.append(requestEvent(100 + turn * 20 + i)));
  }
  await Promise.all([...first, ...later]);
  await log.close();
  const ids = readLinesOf(path).map((l) => JSON.parse(l).request_id);
  assert.deepEqual(ids, [
    ...Array.from({ length: 10 }, (_, i) => `req-${i}`),
    ...Array.from({ length: 100 }, (_, i) => `req-${100 + i}`),
  ]);
  const writes = events.filter((e) => e.startsWith('write')).length;
  assert.ok(writes >= 2 && writes < 110, `expected batched writes, got ${writes}`);
  assert.equal((await verifyAuditFile(path)).ok, true);
});

test('an append resolves only after its line was written and fsynced', async () => {
  const path = tempLogPath();
  const events: string[] = [];
  const log = await AuditLog.open(path, { fs: recordingFs(events) });
  await Promise.all([
    log.append(requestEvent(1)).then(() => events.push('resolved:1')),
    log.append(requestEvent(2)).then(() => events.push('resolved:2')),
  ]);
  await log.append(requestEvent(3)).then(() => events.push('resolved:3'));
  await log.close();
  assert.deepEqual(
    events.map((e) => e.replace(/^write:\d+$/, 'write')),
    ['write', 'sync', 'resolved:1', 'resolved:2', 'write', 'sync', 'resolved:3'],
  );
});

test('with fsync: false nothing is synced (throwaway logs only)', async () => {
  const path = tempLogPath();
  const events: string[] = [];
  const log = await AuditLog.open(path, { fs: recordingFs(events), fsync: false });
  await log.append(requestEvent(1));
  await log.close();
  assert.deepEqual(
    events.filter((e) => e.startsWith('sync')),
    [],
  );
});

test('reopening continues seq and prev_hash from the last line', async () => {
  const path = tempLogPath();
  let log = await AuditLog.open(path);
  await log.append(requestEvent(1));
  const last = await log.append(requestEvent(2));
  await log.close();
  log = await AuditLog.open(path);
  assert.deepEqual(log.lastCommitted, last);
  const r = await log.append(requestEvent(3));
  await log.close();
  assert.equal(r.seq, 3);
  assert.equal(JSON.parse(readLinesOf(path)[2]!).prev_hash, last.hash);
  const check = await verifyAuditFile(path);
  assert.deepEqual([check.ok, check.entries], [true, 3]);
});

test('close waits for pending appends; appends after close are refused', async () => {
  const path = tempLogPath();
  const log = await AuditLog.open(path);
  const pending = Array.from({ length: 5 }, (_, i) => log.append(requestEvent(i)));
  await log.close();
  assert.equal((await Promise.all(pending)).length, 5);
  assert.equal(readLinesOf(path).length, 5);
  await assert.rejects(log.append(requestEvent(9)), { code: 'NAU_AUDIT_CLOSED' });
});

test('a second open of the same log in this process is refused with NAU_AUDIT_LOCKED', async () => {
  const path = tempLogPath();
  const log = await AuditLog.open(path);
  await assert.rejects(AuditLog.open(path), (err: unknown) => {
    assert.ok(err instanceof NautilusError);
    assert.equal(err.code, 'NAU_AUDIT_LOCKED');
    assert.match(err.message, /locked by this process/);
    return true;
  });
  await log.close();
  const again = await AuditLog.open(path);
  await again.close();
});

test('another live process holds the lock: NAU_AUDIT_LOCKED; once it is killed the lock is stale', async () => {
  const path = tempLogPath();
  const script = fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    assert.equal(first.trim(), 'ready');
    await assert.rejects(AuditLog.open(path), (err: unknown) => {
      assert.ok(err instanceof NautilusError);
      assert.equal(err.code, 'NAU_AUDIT_LOCKED');
      assert.match(err.message, new RegExp(`process ${child.pid}`));
      return true;
    });
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  const warnings: string[] = [];
  const log = await AuditLog.open(path, { warn: (m) => warnings.push(m) });
  assert.equal((await log.append(requestEvent(2))).seq, 2);
  await log.close();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /stale lock/);
  assert.equal((await verifyAuditFile(path)).ok, true);
});

test('a lock left with this pid by an earlier incarnation (pid reuse) is taken over', async () => {
  const path = tempLogPath();
  const stale = { pid: process.pid, host: hostname(), token: 'from-a-previous-boot' };
  writeFileSync(`${path}.lock`, `${JSON.stringify(stale)}\n`);
  const warnings: string[] = [];
  const log = await AuditLog.open(path, { warn: (m) => warnings.push(m) });
  assert.match(warnings[0] ?? '', /stale lock/);
  const held = JSON.parse(readFileSync(`${path}.lock`, 'utf8'));
  assert.notEqual(held.token, stale.token);
  await log.close();
});
