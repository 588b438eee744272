// The WAL's Prometheus series on GET /metrics: present with sensible values when the WAL is on
// (appends, bytes, batch sizes, fdatasync times, LSNs, lag, segments, refusals by reason, the
// startup replay), absent when it is off.
import assert from 'node:assert/strict';
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Broker } from '../../src/broker/index.ts';
import { createLogger, NautilusMetrics } from '../../src/obs/index.ts';
import { brokerObserver } from '../../src/transport/rest/index.ts';
import { FaultFs } from '../../src/wal/index.ts';
import { call, KEYS, quickstartCopy, startTestServer } from './rest-fixture.ts';

/** The value of one series in a Prometheus text exposition (NaN when absent). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

const ask = (base: string, session: string | null) =>
  call(base, 'POST', '/v1/request', {
    key: KEYS.demo,
    body: {
      agent_id: 'soc-analyst',
      intent: 'critical CVEs on 10.0.0.5',
      ...(session === null ? {} : { context: { session_id: session } }),
    },
  });

const quiet = createLogger({ level: 'error', destination: { write: () => {} } });

describe('WAL metrics', () => {
  it('GET /metrics shows the WAL series with the values the traffic implies', async () => {
    const copy = quickstartCopy();
    appendFileSync(copy.config, 'persistence:\n  wal_enabled: true\n  wal_min_free_bytes: 0\n');
    const fs = new FaultFs();
    const server = await startTestServer(copy.config, (observer) =>
      Broker.fromConfig(copy.config, { observer, walFs: fs, warn: () => {} }),
    );
    try {
      const base = server.url;
      await server.ready;
      const fresh = (await call(base, 'GET', '/metrics', { key: KEYS.admin })).text;
      assert.equal(value(fresh, 'nautilus_wal_replay_records{result="read"}'), 0);
      assert.equal(value(fresh, 'nautilus_wal_last_lsn'), 0);
      assert.equal(value(fresh, 'nautilus_wal_segments'), 1);

      // Five requests in sessions (two at once), one without: five records.
      for (const s of ['m1', 'm2', 'm1']) assert.equal((await ask(base, s)).status, 200);
      const both = await Promise.all([ask(base, 'm3'), ask(base, 'm4')]);
      assert.deepEqual(
        both.map((r) => r.status),
        [200, 200],
      );
      assert.equal((await ask(base, null)).status, 200);
      // A full disk: one refusal, counted by reason.
      fs.inject({ op: 'append', path: 'wal-', code: 'ENOSPC' });
      const refused = await ask(base, 'm5');
      assert.deepEqual([refused.status, refused.body?.error?.code], [503, 'NAU_WAL_NO_SPACE']);

      const text = (await call(base, 'GET', '/metrics', { key: KEYS.admin })).text;
      const v = (s: string) => value(text, s);
      assert.equal(v('nautilus_wal_appends_total'), 5);
      const status = (await server.ready).walStatus();
      assert.ok(status !== null);
      assert.equal(v('nautilus_wal_append_bytes_total'), status.appendBytes);
      assert.equal(v('nautilus_wal_size_bytes'), status.bytesOnDisk);
      assert.ok(status.appendBytes > 5 * 200, `${status.appendBytes} bytes for 5 records`);
      // Group commit: 4 or 5 batches (the two concurrent requests may share one).
      const batches = v('nautilus_wal_batch_records_count');
      assert.ok(batches === 4 || batches === 5, `${batches} batches`);
      assert.equal(v('nautilus_wal_batch_records_sum'), 5);
      assert.equal(v('nautilus_wal_fsync_duration_seconds_count'), batches);
      assert.equal(v('nautilus_wal_append_wait_seconds_count'), 5);
      assert.ok(v('nautilus_wal_fsync_duration_seconds_sum') >= 0);
      // Synchronous persistence: every record is in the store; nothing checkpointed yet.
      assert.equal(v('nautilus_wal_last_lsn'), 5);
      assert.equal(v('nautilus_wal_durable_lsn'), 5);
      assert.equal(v('nautilus_wal_checkpoint_lsn'), 0);
      assert.equal(v('nautilus_wal_checkpoint_lag_records'), 5);
      assert.equal(v('nautilus_wal_store_lag_records'), 0);
      assert.equal(v('nautilus_wal_queued_records'), 0);
      assert.equal(v('nautilus_wal_failed'), 0);
      assert.equal(v('nautilus_wal_rejected_total{reason="noSpace"}'), 1);
      assert.equal(v('nautilus_wal_rejected_total{reason="sizeLimit"}'), 0);
      assert.equal(v('nautilus_wal_replay_records{result="applied"}'), 0);
      assert.ok(v('nautilus_wal_replay_duration_seconds') > 0);
      assert.equal(v('nautilus_wal_recovery_truncated_bytes{kind="torn_tail"}'), 0);
    } finally {
      await server.shutdown({ timeoutMs: 5000 });
      copy.cleanup();
    }
  });

  it('the startup replay and a checkpoint are counted', async () => {
    const copy = quickstartCopy();
    appendFileSync(
      copy.config,
      'persistence:\n  mode: async\n  wal_enabled: true\n  wal_min_free_bytes: 0\n',
    );
    const fs = new FaultFs();
    try {
      const first = await Broker.fromConfig(copy.config, { walFs: fs, warn: () => {} });
      let image: FaultFs;
      try {
        for (const s of ['r1', 'r2', 'r3'])
          await first.request('soc-analyst', 'critical CVEs on 10.0.0.5', { session_id: s });
        // Power cut before the async store write: the store has none of the three.
        image = fs.crashImage();
      } finally {
        await first.close();
      }
      // The close wrote the store: put back the store as of the crash (no session yet).
      for (const suffix of ['', '-wal', '-shm'])
        rmSync(join(copy.dir, '.nautilus', `sessions.db${suffix}`), { force: true });
      const metrics = new NautilusMetrics({ defaultMetrics: false });
      const b = await Broker.fromConfig(copy.config, {
        walFs: image,
        observer: brokerObserver(metrics, quiet),
        warn: () => {},
      });
      try {
        metrics.bindGauges(b);
        const text = await metrics.text();
        const v = (s: string) => value(text, s);
        assert.equal(v('nautilus_wal_replay_records{result="read"}'), 3);
        assert.equal(v('nautilus_wal_replay_records{result="applied"}'), 3);
        assert.equal(v('nautilus_wal_replay_records{result="skipped"}'), 0);
        assert.equal(v('nautilus_wal_replay_records{result="kept"}'), 0);
        // Replayed and saved, the records were checkpointed at startup.
        assert.equal(v('nautilus_wal_checkpoint_duration_seconds_count'), 1);
        assert.equal(v('nautilus_wal_last_lsn'), 3);
        assert.equal(v('nautilus_wal_checkpoint_lsn'), 3);
        assert.equal(v('nautilus_wal_durable_lsn'), 3);
        assert.equal(v('nautilus_wal_checkpoint_lag_records'), 0);
        assert.equal(v('nautilus_wal_appends_total'), 0);
      } finally {
        await b.close();
      }
    } finally {
      copy.cleanup();
    }
  });

  it('without the WAL no nautilus_wal_* series is exported', async () => {
    const copy = quickstartCopy();
    const server = await startTestServer(copy.config);
    try {
      await server.ready;
      assert.equal((await ask(server.url, 'w1')).status, 200);
      const text = (await call(server.url, 'GET', '/metrics', { key: KEYS.admin })).text;
      assert.match(text, /^nautilus_requests_total\{outcome="ok"\} 1$/m);
      assert.doesNotMatch(text, /nautilus_wal_/);
    } finally {
      await server.shutdown({ timeoutMs: 5000 });
      copy.cleanup();
    }
  });
});
