// `nautilus serve` as a real process whose WAL fdatasync really fails: it answers 503
// NAU_WAL_FAILED and exits non-zero.
//
// How the failure is produced, without root or a fault-injecting file system: the WAL's segment
// is a symbolic link to /dev/null. Opening and writing it succeed (the bytes vanish), and the
// kernel refuses fdatasync on the character device with EINVAL: a genuine fdatasync error from
// the real syscall, through the real file-system layer (nodeWalFs), in a real server process.
// (dm-flakey would need root and device-mapper, FUSE-based LazyFS a FUSE mount; neither is
// available to the tests.) The error code differs from a failing disk's EIO, the path it takes
// does not: the writer never distinguishes errors of fdatasync.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { segmentName } from '../../src/wal/index.ts';
import { call, KEYS, quickstartCopy } from './rest-fixture.ts';
import { spawnServe, waitReady } from './serve-process.ts';

describe('nautilus serve with a failing WAL fdatasync', () => {
  it('answers 503 NAU_WAL_FAILED without data and exits 1', async () => {
    const copy = quickstartCopy();
    appendFileSync(copy.config, 'persistence:\n  wal_enabled: true\n  wal_min_free_bytes: 0\n');
    const walDir = join(copy.dir, '.nautilus', 'wal');
    mkdirSync(walDir, { recursive: true });
    symlinkSync('/dev/null', join(walDir, segmentName(1)));
    const server = spawnServe(['--config', copy.config]);
    try {
      const base = await server.listening;
      await waitReady(base);
      const body = { agent_id: 'soc-analyst', intent: 'critical CVEs on 10.0.0.5' };
      // Without a session nothing is written to the WAL.
      const plain = await call(base, 'POST', '/v1/request', { key: KEYS.demo, body });
      assert.equal(plain.status, 200, plain.text);
      const r = await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        body: { ...body, context: { session_id: 'doomed', request_id: 'doomed-1' } },
      });
      assert.equal(r.status, 503, r.text);
      assert.equal(r.body?.error?.code, 'NAU_WAL_FAILED');
      assert.equal(r.body?.data, undefined, 'no data in the answer');
      const exit = await server.exited;
      assert.equal(exit.status, 1, server.output());
      assert.match(exit.stdout, /the WAL failed: stopping/);
      assert.match(exit.stdout, /fdatasync of WAL segment [^"]* failed/);
      // The refusal is audited as an error, no exposure was recorded.
      const audit = readFileSync(join(copy.dir, '.nautilus', 'audit.jsonl'), 'utf8');
      const line = audit
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { request_id?: string; outcome?: string; error_code?: string })
        .find((l) => l.request_id === 'doomed-1');
      assert.deepEqual([line?.outcome, line?.error_code], ['error', 'NAU_WAL_FAILED']);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await server.exited;
      copy.cleanup();
    }
  });
});
