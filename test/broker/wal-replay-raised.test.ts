// A request whose routing run raises a session flag (cross-agent PII) and that also adds an
// exposure, replayed from the WAL: the session must come back exactly as it was live, with one
// summary that counts every exposure. The kill -9 loop once found a restored session whose
// summary missed a source: the WAL record carried the summary the routing run had modified, and
// replay asserted it next to the restored one. The view shows the first summary only (here the
// right one), so the test counts the stored summaries: with that copy in the record it finds 2.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ask, sessionWorld } from './session-fixture.ts';
import { storedFacts } from './session-restart.ts';
import { restoreStore, restoreWal, snapshotStore, snapshotWal } from './wal-crash-copy.ts';

describe('WAL replay of a request whose routing raised a flag', () => {
  it('restores one summary that matches the exposures', async () => {
    const w = sessionWorld({ persistence: '  wal_enabled: true' });
    try {
      const b1 = await w.open();
      await ask(b1, 'alice', ['hr'], 's1');
      await b1.close();
      const storeA = snapshotStore(w, 'store-a');

      const b2 = await w.open();
      let expected: Awaited<ReturnType<typeof b2.session>>;
      let walB = '';
      try {
        // Another agent, PII again (the cross-agent flag) plus vulnerability data (an exposure).
        const r = await ask(b2, 'bob', ['crm', 'vulnerability'], 's1');
        assert.ok(r.exposure_summary?.flags.includes('cross-agent-pii-propagation'));
        assert.ok(r.sources_queried.includes('vulns'));
        expected = await b2.session('s1');
        assert.deepEqual(
          [...expected.summary.sources].sort(),
          [...new Set(expected.exposures.map((e) => e.source_id))].sort(),
        );
        walB = snapshotWal(w, 'wal-b');
      } finally {
        await b2.close();
      }
      restoreStore(w, storeA);
      restoreWal(w, walB);

      const b3 = await w.open();
      try {
        assert.equal(b3.walRecovery?.applied, 1);
        assert.deepEqual(await b3.session('s1'), expected);
      } finally {
        await b3.close();
      }
      // The view shows the first summary only: the stored facts must hold exactly one.
      const counts: Record<string, number> = {};
      for (const f of (await storedFacts(w, 's1')).facts)
        counts[f.template] = (counts[f.template] ?? 0) + 1;
      assert.deepEqual(counts, {
        session_exposure: expected.exposures.length,
        exposure_flag: expected.flags.length,
        session_purpose: 1,
        session_summary: 1,
      });
    } finally {
      w.cleanup();
    }
  });
});
