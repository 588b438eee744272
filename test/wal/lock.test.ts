// The lock file: one writer per WAL directory, across processes and within one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { NautilusError } from '../../src/errors.ts';
import { FaultFs, LOCK_FILE, scanWal, WalWriter } from '../../src/wal/index.ts';
import { faultOpts, isWalError, rec, tempDir } from './helpers.ts';

test('a second writer in this process is refused with NAU_WAL_LOCKED; after close it may open', async () => {
  const dir = tempDir();
  const writer = await WalWriter.open(dir, { minFreeBytes: 0 });
  await assert.rejects(
    WalWriter.open(dir, { minFreeBytes: 0 }),
    isWalError('NAU_WAL_LOCKED', /locked by this process/),
  );
  // A repairing scan needs the lock too; a read-only one does not.
  await assert.rejects(scanWal(dir), isWalError('NAU_WAL_LOCKED'));
  assert.equal((await scanWal(dir, { repair: 'none' })).segments.length, 1);
  await writer.close();
  const again = await WalWriter.open(dir, { minFreeBytes: 0 });
  await again.close();
});

test('another live process holding the WAL is named by pid; once it is killed its lock is stale', async () => {
  const dir = tempDir();
  const script = fileURLToPath(new URL('./fixtures/hold-wal.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    assert.equal(first.trim(), 'ready');
    await assert.rejects(WalWriter.open(dir, { minFreeBytes: 0 }), (err: unknown) => {
      const e = err as NautilusError;
      assert.equal(e.code, 'NAU_WAL_LOCKED');
      assert.match(
        e.message,
        new RegExp(`locked by process ${child.pid} .*only one Nautilus process`),
      );
      assert.equal(e.detail.lockPath, join(dir, LOCK_FILE));
      return true;
    });
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  const warnings: string[] = [];
  const writer = await WalWriter.open(dir, { minFreeBytes: 0, warn: (m) => warnings.push(m) });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /removed a stale lock left by .*"pid":\d+/);
  assert.equal((await writer.append(rec(2))).lsn, 2); // the child's acknowledged record is kept
  await writer.close();
});

test('a lock from before a reboot is stale even if its pid is alive now', async () => {
  const dir = tempDir();
  const fs = new FaultFs();
  await fs.mkdirp(dir);
  const stale = { pid: process.ppid, host: hostname(), boot: 'an-earlier-boot', token: 'x' };
  fs.setContents(join(dir, LOCK_FILE), Buffer.from(JSON.stringify(stale)));
  const writer = await WalWriter.open(dir, faultOpts(fs));
  const held = JSON.parse(fs.contents(join(dir, LOCK_FILE)).toString());
  assert.equal(held.pid, process.pid);
  assert.equal(held.boot, fs.bootId());
  await writer.close();
  assert.equal(fs.exists(join(dir, LOCK_FILE)), false, 'released on close');
});

test('a garbled or empty lock file (crash while writing it) is stale', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, LOCK_FILE), '');
  const writer = await WalWriter.open(dir, { minFreeBytes: 0 });
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
  await writer.close();
});

test('a lock held on another host is never taken over', async () => {
  const dir = tempDir();
  const other = { pid: 1, host: 'some-other-host', boot: '', token: 't' };
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(other));
  await assert.rejects(
    WalWriter.open(dir, { minFreeBytes: 0 }),
    isWalError('NAU_WAL_LOCKED', /process 1 on host some-other-host/),
  );
});
