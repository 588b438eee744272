// Injected WAL faults through the broker (the WAL on FaultFs, SQLite session store): a failed
// fdatasync refuses the request and every later session request, and is reported once; a full
// disk fails only its batch, which leaves the session untouched (flags the routing run raised
// included), and later requests succeed; the size and free-space limits refuse with 503
// NAU_WAL_FULL and the broker carries on.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Broker } from '../../src/broker/index.ts';
import type { NautilusError } from '../../src/errors.ts';
import { FaultFs } from '../../src/wal/index.ts';
import { ask, sessionWorld } from './session-fixture.ts';
import {
  restoreStore,
  StoreImages,
  sessionFacts,
  storePath,
  walFaultWorld,
  walPath,
} from './wal-fault-world.ts';

function isError(code: string, status: number) {
  return (x: unknown): boolean => {
    const e = x as NautilusError;
    if (e?.code !== code) throw x;
    assert.equal(e.status, status, e.message);
    return true;
  };
}

/** Bytes the WAL directory holds on a FaultFs (segments, lock, id). */
function walBytes(fs: FaultFs, dir: string): number {
  return fs.names(dir).reduce((n, name) => n + fs.contents(join(dir, name)).length, 0);
}

const view = async (b: Broker, sid: string) => {
  const v = await sessionFacts(b, sid);
  return { ...v, summary: v.status === null ? null : (await b.session(sid)).summary };
};

describe('broker WAL faults', () => {
  it('fdatasync fails: the batch gets 503 NAU_WAL_FAILED and no data, later session requests are refused', async () => {
    const w = walFaultWorld('  wal_min_free_bytes: 0');
    const fs = new FaultFs();
    const failures: NautilusError[] = [];
    try {
      const b = await w.open({ walFs: fs, onWalFailed: (e) => failures.push(e) });
      let before: Awaited<ReturnType<typeof view>>;
      try {
        const first = await ask(b, 'alice', ['hr'], 's1');
        before = await view(b, 's1');
        fs.inject({ op: 'datasync', path: 'wal-' });
        // Two sessions in one group commit: both refused.
        const batch = await Promise.allSettled([
          ask(b, 'alice', ['financial'], 's1', { request_id: 'lost-1' }),
          ask(b, 'bob', ['vulnerability'], 's2', { request_id: 'lost-2' }),
        ]);
        for (const o of batch) {
          assert.equal(o.status, 'rejected');
          assert.ok(isError('NAU_WAL_FAILED', 503)((o as PromiseRejectedResult).reason));
        }
        assert.equal(failures.length, 1, 'onWalFailed fires once');
        assert.match(failures[0]?.message ?? '', /fdatasync .* failed .*never retried/);
        // Every later session request is refused, in any session, before it reads a source.
        await assert.rejects(ask(b, 'alice', ['crm'], 's1'), isError('NAU_WAL_FAILED', 503));
        await assert.rejects(ask(b, 'bob', ['crm'], 's9'), isError('NAU_WAL_FAILED', 503));
        // Requests without a session do not touch the WAL.
        const plain = await b.query('alice', { dataTypes: ['vulnerability'] });
        assert.deepEqual(plain.sources_queried, ['vulns']);
        // Nothing of the refused requests was applied.
        assert.deepEqual(await view(b, 's1'), before);
        assert.deepEqual(before.exposures, [`pii-a@${first.request_id}`]);
        assert.equal((await sessionFacts(b, 's2')).status, null);
        assert.equal(failures.length, 1);
        const s = b.walStatus();
        assert.equal(s?.failed, true);
        // The writer refused the batch; the later ones the broker refused before appending.
        assert.equal(s?.rejected.failed, 2);
      } finally {
        await b.close();
      }
      // The restart reads what is really on disk. The refused batch was written but not synced
      // (a request that reached the writer after it was refused unwritten): a power loss may drop
      // it, or (the kernel wrote it back anyway) surface it whole. Refused is not acknowledged.
      for (const unsynced of ['drop', 'keep'] as const) {
        const b2 = await w.open({ walFs: fs.crashImage({ unsynced }) });
        try {
          const s1 = (await sessionFacts(b2, 's1')).exposures;
          const s2 = (await sessionFacts(b2, 's2')).exposures;
          const lost1 = s1.length > 1;
          const lost2 = s2.length > 0;
          assert.deepEqual(s1, [...before.exposures, ...(lost1 ? ['ledger@lost-1'] : [])]);
          assert.deepEqual(s2, lost2 ? ['vulns@lost-2'] : []);
          assert.equal(lost1 || lost2, unsynced === 'keep', `${unsynced}: ${s1} / ${s2}`);
        } finally {
          await b2.close();
        }
      }
    } finally {
      w.cleanup();
    }
  });

  it('disk full: that batch gets 503 NAU_WAL_NO_SPACE and changes nothing; later requests succeed and survive a restart', async () => {
    const w = walFaultWorld('  mode: async\n  wal_min_free_bytes: 0');
    const fs = new FaultFs();
    try {
      const b = await w.open({ walFs: fs });
      let image: { wal: FaultFs; store: Buffer };
      const acked: string[] = [];
      try {
        acked.push((await ask(b, 'alice', ['hr'], 's1')).request_id);
        const before = await view(b, 's1');
        // Room for part of the next line only: a short write, then ENOSPC.
        fs.capacityBytes = walBytes(fs, walPath(w)) + 100;
        const batch = await Promise.allSettled([
          // Another agent asks for PII: the routing run raises a cross-agent flag at once.
          ask(b, 'bob', ['crm'], 's1', { request_id: 'full-1' }),
          ask(b, 'alice', ['financial'], 's2', { request_id: 'full-2' }),
        ]);
        for (const o of batch) {
          assert.equal(o.status, 'rejected');
          assert.ok(isError('NAU_WAL_NO_SPACE', 503)((o as PromiseRejectedResult).reason));
        }
        // Nothing applied: no exposure, no flag, the same summary; s2 was never created.
        assert.deepEqual(await view(b, 's1'), before);
        assert.equal((await sessionFacts(b, 's2')).status, null);
        // The partial line was cut back: the segment ends with a complete line.
        const seg = fs.names(walPath(w)).find((n) => n.startsWith('wal-')) as string;
        assert.ok(
          fs
            .contents(join(walPath(w), seg))
            .toString()
            .endsWith('\n'),
        );
        assert.equal(b.walStatus()?.rejected.noSpace, 2);

        fs.capacityBytes = Number.POSITIVE_INFINITY; // space is back
        const again = await ask(b, 'bob', ['crm'], 's1');
        assert.deepEqual(again.exposure_summary?.flags, ['cross-agent-pii-propagation']);
        acked.push(again.request_id, (await ask(b, 'alice', ['financial'], 's2')).request_id);
        // A power cut now, before the async store write of the last requests.
        const store = new StoreImages(storePath(w));
        image = { wal: fs.crashImage({ unsynced: 'drop' }), store: store.take() };
        store.close();
      } finally {
        await b.close();
      }
      restoreStore(w, image.store);
      const b2 = await w.open({ walFs: image.wal });
      try {
        const s1 = await sessionFacts(b2, 's1');
        const s2 = await sessionFacts(b2, 's2');
        assert.deepEqual(s1.exposures, [`pii-a@${acked[0]}`, `pii-b@${acked[1]}`]);
        assert.deepEqual(s1.flags, [`cross-agent-pii-propagation@${acked[1]}`]);
        assert.deepEqual(s2.exposures, [`ledger@${acked[2]}`]);
        assert.equal(b2.walStatus()?.recovery.tornTailBytes, 0);
      } finally {
        await b2.close();
      }
    } finally {
      w.cleanup();
    }
  });

  it('free disk below wal_min_free_bytes: 503 NAU_WAL_FULL, nothing applied, served again once space is back', async () => {
    const w = walFaultWorld(`  wal_min_free_bytes: ${1024 * 1024}`);
    const fs = new FaultFs();
    try {
      const b = await w.open({ walFs: fs });
      try {
        await ask(b, 'alice', ['hr'], 's1');
        const before = await view(b, 's1');
        fs.capacityBytes = walBytes(fs, walPath(w)) + 1024 * 1024 + 100;
        await assert.rejects(ask(b, 'alice', ['financial'], 's1'), (x: unknown) => {
          assert.ok(isError('NAU_WAL_FULL', 503)(x));
          assert.match((x as Error).message, /below the minimum/);
          return true;
        });
        assert.deepEqual(await view(b, 's1'), before);
        assert.equal(b.walStatus()?.rejected.diskFree, 1);
        fs.capacityBytes = Number.POSITIVE_INFINITY;
        const r = await ask(b, 'alice', ['financial'], 's1');
        assert.deepEqual(r.sources_queried, ['ledger']);
      } finally {
        await b.close();
      }
    } finally {
      w.cleanup();
    }
  });

  it('WAL past wal_max_bytes (memory store: nothing is ever checkpointed): 503 NAU_WAL_FULL, not a crash', async () => {
    const w = sessionWorld({
      sessionStore: '  backend: memory\n  ttl_seconds: 3600',
      persistence: `  wal_enabled: true\n  wal_min_free_bytes: 0\n  wal_max_bytes: ${1024 * 1024}\n  wal_segment_bytes: 65536`,
    });
    const fs = new FaultFs();
    try {
      const b = await w.open({ walFs: fs });
      try {
        let full: unknown = null;
        let answered = 0;
        // Concurrent requests in fresh sessions, so each group commit carries many records.
        for (let round = 0; full === null && round < 200; round++) {
          const batch = await Promise.allSettled(
            Array.from({ length: 16 }, (_, i) =>
              ask(b, 'alice', ['hr', 'crm', 'financial', 'vulnerability'], `m${round}-${i}`),
            ),
          );
          for (const o of batch) {
            if (o.status === 'fulfilled') answered++;
            else full ??= o.reason;
          }
        }
        assert.ok(isError('NAU_WAL_FULL', 503)(full));
        assert.match((full as Error).message, /the limit is 1048576/);
        const s = b.walStatus();
        assert.ok(s !== null && s.bytesOnDisk <= 1024 * 1024 && s.bytesOnDisk > 900 * 1024);
        assert.equal(s.appends, answered, 'every answered request is in the WAL');
        assert.ok(s.rejected.sizeLimit > 0);
        await assert.rejects(
          ask(b, 'bob', ['hr', 'crm', 'financial', 'vulnerability'], 'one-more'),
          isError('NAU_WAL_FULL', 503),
        );
        // The broker carries on: reads and requests without a session are served.
        assert.equal((await sessionFacts(b, 'm0-0')).exposures.length, 4);
        assert.deepEqual((await b.query('bob', { dataTypes: ['vulnerability'] })).sources_queried, [
          'vulns',
        ]);
      } finally {
        await b.close();
      }
    } finally {
      w.cleanup();
    }
  });
});
