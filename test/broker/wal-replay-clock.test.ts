// WAL replay runs the policy with the engine's clock at each record's time: a rule that reads
// `(time)` while a request's exposures are applied derives the same facts on replay, days later,
// as it did live.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ask, sessionWorld } from './session-fixture.ts';
import { restoreStore, restoreWal, snapshotStore, snapshotWal } from './wal-crash-copy.ts';

// A user rule in engine phase 2: one flag per exposure, stamped with the engine's clock.
const CLOCKED_RULES = `module: policy
ruleset: clocked
version: "1.0"
rules:
  - name: flag-clocked-exposure
    when:
      - template: session_exposure
        conditions:
          - { slot: session_id, bind: ?ses }
          - { slot: request_id, bind: ?rid }
      - not:
          template: exposure_flag
          conditions:
            - { slot: session_id, bind: ?ses }
            - { slot: flag, expression: "equals(clocked)" }
            - { slot: request_id, bind: ?rid }
    then:
      assert:
        - template: exposure_flag
          slots:
            session_id: ?ses
            flag: clocked
            request_id: ?rid
            detail: "(str-cat (time))"
            rule: policy::flag-clocked-exposure
`;

describe('WAL replay and the engine clock', () => {
  it("derives what the live request derived: the engine's clock is the record's time", async () => {
    const w = sessionWorld({ persistence: '  wal_enabled: true' });
    try {
      mkdirSync(join(w.dir, 'extra-rules'));
      writeFileSync(join(w.dir, 'extra-rules', 'clocked.yaml'), CLOCKED_RULES);
      const config = readFileSync(w.configPath, 'utf8');
      writeFileSync(w.configPath, config.replace('rules:\n', 'rules:\n  dirs: [./extra-rules]\n'));

      const b1 = await w.open();
      await ask(b1, 'alice', ['hr'], 's1');
      await b1.close();
      const storeA = snapshotStore(w, 'store-a');

      w.now = new Date(w.now.getTime() + 60_000);
      const b2 = await w.open();
      let expected: unknown;
      let walB = '';
      try {
        const r2 = await ask(b2, 'alice', ['vulnerability'], 's1');
        expected = await b2.session('s1');
        const stamp = (await b2.session('s1')).flags.find((f) => f.request_id === r2.request_id);
        assert.equal(Number(stamp?.detail), w.now.getTime() / 1000);
        // As if the process died right after the WAL append: the WAL, not the store, has r2.
        walB = snapshotWal(w, 'wal-b');
      } finally {
        await b2.close();
      }
      restoreStore(w, storeA);
      restoreWal(w, walB);

      // A day later.
      w.now = new Date(w.now.getTime() + 86_400_000);
      const b3 = await w.open();
      try {
        assert.equal(b3.walRecovery?.applied, 1);
        assert.deepEqual(await b3.session('s1'), expected);
      } finally {
        await b3.close();
      }
    } finally {
      w.cleanup();
    }
  });
});
