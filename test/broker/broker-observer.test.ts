// BrokerOptions.observer: one onRequest per request (answered or refused) with its outcome,
// per-source times and the flags it raised; engine runs, store saves, session lock waits and
// audit appends reported as they happen; an observer that throws never fails a request.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Broker, type BrokerObserver, type RequestObservation } from '../../src/broker/index.ts';
import { quickstartCopy } from '../transport/rest-fixture.ts';

function recorder() {
  const requests: RequestObservation[] = [];
  const engine: string[] = [];
  const saves: boolean[] = [];
  const audits: boolean[] = [];
  let lockWaits = 0;
  const observer: BrokerObserver = {
    onRequest: (o) => requests.push(o),
    onEngineRun: (phase) => engine.push(phase),
    onStoreSave: (_ms, ok) => saves.push(ok),
    onSessionLockWait: () => {
      lockWaits++;
    },
    onAuditAppend: (_ms, ok) => audits.push(ok),
  };
  return { observer, requests, engine, saves, audits, lockWaits: () => lockWaits };
}

describe('broker observer', () => {
  let copy: ReturnType<typeof quickstartCopy>;
  before(() => {
    copy = quickstartCopy();
  });
  after(() => copy.cleanup());

  it('reports each request once, with sources, outcome and the flags it raised', async () => {
    const r = recorder();
    const broker = await Broker.fromConfig(copy.config, {
      observer: r.observer,
      auditFsync: false,
    });
    try {
      const session = { session_id: 'obs-1' };
      await broker.request('auditor', 'list employees for the audit', session);
      await broker.request('auditor', 'ledger revenue for the audit', session);
      await broker.request('hr-assistant', 'show payroll spend in the ledger');
      await assert.rejects(broker.request('intruder', 'anything'), { code: 'NAU_AGENT_UNKNOWN' });

      assert.equal(r.requests.length, 4);
      const [first, second, denied, refused] = r.requests as [
        RequestObservation,
        RequestObservation,
        RequestObservation,
        RequestObservation,
      ];
      assert.equal(first.outcome, 'ok');
      assert.equal(first.sessionId, 'obs-1');
      assert.deepEqual(
        first.sources.map((s) => [s.sourceId, s.errorClass]),
        [['hr-people', null]],
      );
      assert.deepEqual(first.newFlags, []);
      assert.deepEqual(second.newFlags, ['pii-financial-combination']);
      assert.equal(denied.outcome, 'denied');
      assert.deepEqual(denied.sources, []);
      assert.equal(refused.outcome, 'error');
      assert.deepEqual(refused.error, { code: 'NAU_AGENT_UNKNOWN', status: 403 });
      for (const o of r.requests) assert.ok(o.ms.total >= o.ms.engine);

      // Two session requests: two route runs plus two phase-2 runs; one route run standalone.
      assert.deepEqual(
        r.engine.filter((p) => p === 'route').length,
        3,
        'the refused request never reached the engine',
      );
      assert.equal(r.engine.filter((p) => p === 'session').length, 2);
      assert.deepEqual(r.saves, [true, true]);
      assert.equal(r.lockWaits(), 2);
      assert.deepEqual(r.audits, [true, true, true, true]);
      assert.ok(broker.workingMemoryFacts() > 0);
      assert.equal(broker.openSessions(), 1);
    } finally {
      await broker.close();
    }
  });

  it('a throwing observer is reported and ignored', async () => {
    const warnings: string[] = [];
    const broker = await Broker.fromConfig(copy.config, {
      auditFsync: false,
      warn: (m) => warnings.push(m),
      observer: {
        onRequest: () => {
          throw new Error('metrics exploded');
        },
        onEngineRun: () => {
          throw new Error('again');
        },
      },
    });
    try {
      const res = await broker.request('soc-analyst', 'critical CVEs on 10.0.0.5');
      assert.deepEqual(res.sources_queried, ['vuln-scans']);
      assert.ok(warnings.some((w) => /observer failed: metrics exploded/.test(w)));
    } finally {
      await broker.close();
    }
  });
});
