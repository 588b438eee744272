// The broker with the write-ahead log (SQLite session store): requests in sessions are recorded,
// recovery replays what the store missed exactly once, records the store already has (or whose
// session is closed) are skipped, and async persistence loses nothing acknowledged on a crash.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import type { Broker } from '../../src/broker/index.ts';
import { scanWal } from '../../src/wal/index.ts';
import { ask, sessionWorld } from './session-fixture.ts';
import { storedFacts } from './session-restart.ts';
import { restoreStore, restoreWal, snapshotStore, snapshotWal, walDir } from './wal-crash-copy.ts';

async function walRecords(dir: string) {
  const scan = await scanWal(dir, { repair: 'none' });
  const out = [];
  for await (const r of scan.readRecords()) out.push(r);
  return out;
}

const exposuresOf = async (b: Broker, sid: string) =>
  (await b.session(sid)).exposures.map((e) => `${e.source_id}:${e.request_id}`);

function walWorld(persistence = '  wal_enabled: true') {
  return sessionWorld({ persistence });
}

describe('broker with the WAL', () => {
  it('records every session request in the WAL and checkpoints what the store holds', async () => {
    const w = walWorld();
    try {
      const b = await w.open();
      try {
        assert.equal(b.walRecovery?.records, 0);
        const r1 = await ask(b, 'alice', ['hr'], 's1');
        const r2 = await ask(b, 'alice', ['financial'], 's1');
        await b.query('alice', { dataTypes: ['crm'] }); // no session: not recorded
        const records = await walRecords(walDir(w));
        assert.deepEqual(
          records.map((r) => [r.sid, r.rid]),
          [
            ['s1', r1.request_id],
            ['s1', r2.request_id],
          ],
        );
        assert.equal(records[0]?.ts, w.now.getTime());
        const ops = records[1]?.ops as { template: string; slots: { source_id?: string } }[];
        assert.ok(
          ops.some((o) => o.template === 'session_exposure' && o.slots.source_id === 'ledger'),
        );
      } finally {
        await b.close();
      }
      // Everything is in the store: the close checkpointed the WAL down to nothing.
      assert.deepEqual(await walRecords(walDir(w)), []);
      assert.equal((await storedFacts(w, 's1')).facts.filter(isExposure).length, 2);
    } finally {
      w.cleanup();
    }
  });

  it('replays a request the store missed (crash between WAL append and store write) once', async () => {
    const w = walWorld();
    try {
      const b1 = await w.open();
      await ask(b1, 'alice', ['hr'], 's1');
      await b1.close();
      // The store as it was before the second request.
      const storeA = snapshotStore(w, 'store-a');

      w.now = new Date(w.now.getTime() + 60_000);
      const b2 = await w.open();
      let expected: unknown;
      let walB: string;
      try {
        const fin = await ask(b2, 'alice', ['financial'], 's1');
        assert.ok(fin.exposure_summary?.flags.includes('pii-financial-combination'));
        // Denied, but the routing run raises a flag: the WAL record must carry it.
        const other = await ask(b2, 'bob', ['crm'], 's1');
        assert.deepEqual(other.sources_queried, []);
        assert.ok(other.exposure_summary?.flags.includes('cross-agent-pii-propagation'));
        expected = await b2.session('s1');
        // Only the WAL has the second request: as if the process died right after the append.
        walB = snapshotWal(w, 'wal-b');
      } finally {
        await b2.close();
      }
      restoreStore(w, storeA);
      restoreWal(w, walB);
      assert.equal((await storedFacts(w, 's1')).facts.filter(isExposure).length, 1);

      w.now = new Date(w.now.getTime() + 60_000);
      const b3 = await w.open();
      try {
        assert.equal(b3.walRecovery?.applied, 2);
        assert.deepEqual(await b3.session('s1'), expected);
        // The policy sees the replayed exposure: PII + financial blocks more PII.
        const denied = await ask(b3, 'alice', ['crm'], 's1');
        assert.deepEqual(denied.sources_queried, []);
      } finally {
        await b3.close();
      }
      assert.equal((await storedFacts(w, 's1')).facts.filter(isExposure).length, 2);

      // Opening again changes nothing: the store row carries the LSN, the WAL was checkpointed.
      const b4 = await w.open();
      try {
        assert.equal(b4.walRecovery?.applied, 0);
        assert.equal((await exposuresOf(b4, 's1')).length, 2);
      } finally {
        await b4.close();
      }
    } finally {
      w.cleanup();
    }
  });

  it('does not apply records at or below the stored LSN, nor records of closed sessions', async () => {
    const w = walWorld();
    try {
      const b1 = await w.open();
      let before: unknown;
      let stored: unknown;
      let snap: string;
      try {
        await ask(b1, 'alice', ['hr'], 's1');
        await ask(b1, 'bob', ['crm'], 's1');
        await ask(b1, 'alice', ['vulnerability'], 's2');
        // Every record is in the store already; s2 is then closed.
        snap = snapshotWal(w, 'wal-all');
        await b1.closeSession('s2');
        before = await b1.session('s1');
      } finally {
        await b1.close();
      }
      stored = await storedFacts(w, 's1');
      assert.equal((await walRecords(snap)).length, 3);
      for (let round = 0; round < 2; round++) {
        restoreWal(w, snap);
        const b = await w.open();
        try {
          assert.equal(b.walRecovery?.records, 3);
          assert.equal(b.walRecovery?.applied, 0);
          assert.equal(b.walRecovery?.skipped, 3);
          assert.deepEqual(await b.session('s1'), before);
          assert.equal((await b.session('s2')).status, 'closed');
        } finally {
          await b.close();
        }
        assert.deepEqual(await storedFacts(w, 's1'), stored);
      }
    } finally {
      w.cleanup();
    }
  });

  it('async persistence: acknowledged requests survive a SIGKILL before the store write', async () => {
    const w = walWorld('  mode: async\n  wal_enabled: true');
    const script = join(w.dir, 'crash.mts');
    const brokerModule = resolve('src/broker/index.ts');
    writeFileSync(
      script,
      `import { Broker } from ${JSON.stringify(brokerModule)};
const b = await Broker.fromConfig(${JSON.stringify(w.configPath)}, {
  clock: () => new Date(${w.now.getTime()}), auditFsync: false, warn: () => {},
});
await b.query('alice', { dataTypes: ['hr', 'crm', 'financial'] }); // warm the adapters
const rs = await Promise.all([
  b.query('alice', { dataTypes: ['hr'] }, { session_id: 'a1' }),
  b.query('alice', { dataTypes: ['financial'] }, { session_id: 'a2' }),
  b.query('bob', { dataTypes: ['crm'] }, { session_id: 'a3' }),
]);
process.stdout.write(JSON.stringify(rs.map((r) => [r.session_id, r.request_id, r.sources_queried])) + '\\n');
process.kill(process.pid, 'SIGKILL');
`,
    );
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: resolve('.'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => {
        out += c;
      });
      child.stderr.on('data', (c) => {
        err += c;
      });
      const signal = await new Promise((done) => child.on('close', (_code, sig) => done(sig)));
      assert.equal(signal, 'SIGKILL', err);
      const acknowledged = JSON.parse(out.trim()) as [string, string, string[]][];
      assert.equal(acknowledged.length, 3);
      assert.ok(existsSync(walDir(w)));

      const b = await w.open();
      try {
        for (const [sid, rid, sources] of acknowledged) {
          assert.equal(sources.length, 1, `${sid} read one source`);
          assert.deepEqual(await exposuresOf(b, sid), [`${sources[0]}:${rid}`]);
        }
        const r = b.walRecovery;
        assert.ok(r !== null && r.applied + r.skipped === 3, JSON.stringify(r));
      } finally {
        await b.close();
      }
    } finally {
      w.cleanup();
    }
  });
});

function isExposure(op: { template: string }): boolean {
  return op.template === 'session_exposure';
}
