// Sessions through the public API: cumulative-exposure policy, lifecycle, persistence across a
// restart (SQLite; sessions-postgres.test.ts runs the same check on PostgreSQL), and no lost
// update under concurrency.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Broker } from '../../src/broker/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { ask, sessionWorld } from './session-fixture.ts';
import { checkRestart } from './session-restart.ts';

const code = (c: string) => (x: unknown) => x instanceof NautilusError && x.code === c;

async function withBroker<T>(
  fn: (b: Broker, w: ReturnType<typeof sessionWorld>) => Promise<T>,
  options: Parameters<typeof sessionWorld>[0] = {},
): Promise<T> {
  const w = sessionWorld(options);
  const b = await w.open();
  try {
    return await fn(b, w);
  } finally {
    await b.close();
    w.cleanup();
  }
}

describe('cumulative exposure policy', () => {
  it('denies PII from a fourth source after three', () =>
    withBroker(async (b) => {
      for (const t of ['hr', 'crm', 'support']) {
        const r = await ask(b, 'alice', [t], 's1');
        assert.equal(r.sources_queried.length, 1, `${t} read`);
      }
      const fourth = await ask(b, 'alice', ['marketing'], 's1');
      assert.deepEqual(fourth.sources_queried, []);
      assert.ok(
        fourth.sources_denied.some((d) => d.source_id === 'pii-d' && d.rule.includes('pii')),
        JSON.stringify(fourth.sources_denied),
      );
      // A source the session has already read stays allowed.
      const again = await ask(b, 'alice', ['hr'], 's1');
      assert.deepEqual(again.sources_queried, ['pii-a']);
      // Another session starts from nothing.
      const other = await ask(b, 'alice', ['marketing'], 's2');
      assert.deepEqual(other.sources_queried, ['pii-d']);
      assert.deepEqual(fourth.exposure_summary?.pii_sources.slice().sort(), [
        'pii-a',
        'pii-b',
        'pii-c',
      ]);
    }));

  it('PII with financial data raises the flag, escalates the level and blocks further PII', () =>
    withBroker(async (b) => {
      const first = await ask(b, 'alice', ['hr'], 's1');
      assert.equal(first.exposure_summary?.classification, 'confidential');
      const second = await ask(b, 'alice', ['financial'], 's1');
      assert.deepEqual(second.sources_queried, ['ledger']);
      assert.ok(second.exposure_summary?.flags.includes('pii-financial-combination'));
      assert.equal(second.exposure_summary?.classification, 'secret');
      const third = await ask(b, 'alice', ['crm'], 's1');
      assert.deepEqual(third.sources_queried, []);
      assert.ok(third.sources_denied.some((d) => d.source_id === 'pii-b'));
      const view = await b.session('s1');
      assert.ok(view.flags.some((f) => f.flag === 'pii-financial-combination'));
    }));

  it('flags PII seen by one agent and requested by another', () =>
    withBroker(async (b) => {
      await ask(b, 'alice', ['hr'], 's1');
      const same = await ask(b, 'alice', ['crm'], 's1');
      assert.ok(!same.exposure_summary?.flags.includes('cross-agent-pii-propagation'));
      const other = await ask(b, 'bob', ['hr'], 's1');
      assert.ok(other.exposure_summary?.flags.includes('cross-agent-pii-propagation'));
      const view = await b.session('s1');
      assert.ok(view.flags.some((f) => f.flag === 'cross-agent-pii-propagation'));
      assert.deepEqual(view.summary.agents.slice().sort(), ['alice', 'bob']);
    }));

  it("denies every source once the session's purpose is older than its TTL", () =>
    withBroker(
      async (b, w) => {
        const first = await ask(b, 'alice', ['vulnerability'], 's1');
        assert.deepEqual(first.sources_queried, ['vulns']);
        w.now = new Date(w.now.getTime() + 61_000);
        const late = await ask(b, 'alice', ['vulnerability'], 's1');
        assert.deepEqual(late.sources_queried, []);
        assert.ok(
          late.sources_denied.some((d) => d.source_id === 'vulns' && /expired/.test(d.reason)),
        );
        // A new session is not affected.
        const fresh = await ask(b, 'alice', ['vulnerability'], 's2');
        assert.deepEqual(fresh.sources_queried, ['vulns']);
      },
      { policy: ', purpose_ttl_seconds: 60' },
    ));
});

describe('session lifecycle', () => {
  it('closeSession audits the final summary, forgets the facts and refuses later requests', () =>
    withBroker(async (b, w) => {
      await ask(b, 'alice', ['hr'], 's1');
      await b.closeSession('s1');
      await assert.rejects(ask(b, 'alice', ['hr'], 's1'), code('NAU_SESSION_CLOSED'));
      const view = await b.session('s1');
      assert.equal(view.status, 'closed');
      await assert.rejects(b.closeSession('nope'), code('NAU_SESSION_UNKNOWN'));
      await assert.rejects(b.session('nope'), code('NAU_SESSION_UNKNOWN'));
      const lines = readFileSync(join(w.dir, 'state', 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n');
      const closed = lines.map((l) => JSON.parse(l)).find((e) => e.kind === 'session_closed');
      assert.equal(closed?.session_id, 's1');
      assert.equal(closed?.reason, 'closed');
      assert.deepEqual(closed?.summary.pii_sources, ['pii-a']);
    }));

  it('a session idle past ttl_seconds expires', () =>
    withBroker(
      async (b, w) => {
        await ask(b, 'alice', ['hr'], 's1');
        w.now = new Date(w.now.getTime() + 11_000);
        await assert.rejects(ask(b, 'alice', ['hr'], 's1'), code('NAU_SESSION_CLOSED'));
        const lines = readFileSync(join(w.dir, 'state', 'audit.jsonl'), 'utf8')
          .trim()
          .split('\n');
        const closed = lines.map((l) => JSON.parse(l)).find((e) => e.kind === 'session_closed');
        assert.equal(closed?.reason, 'expired');
      },
      { sessionStore: '  ttl_seconds: 10' },
    ));

  it('100 concurrent requests in one session record 100 exposures', () =>
    withBroker(async (b) => {
      const results = await Promise.all(
        Array.from({ length: 100 }, () => ask(b, 'alice', ['vulnerability'], 'busy')),
      );
      assert.ok(results.every((r) => r.sources_queried.length === 1));
      const view = await b.session('busy');
      assert.equal(view.exposures.length, 100);
      assert.equal(view.summary.exposures, 100);
      assert.equal(new Set(view.exposures.map((e) => e.request_id)).size, 100);
    }));
});

describe('persistence across a restart (SQLite)', () => {
  for (const mode of ['synchronous', 'async'] as const) {
    it(`${mode}: exposures, flags, summaries and fact lists are identical after reopening`, async () => {
      const w = sessionWorld({
        persistence: `  mode: ${mode}${mode === 'async' ? '\n  accept_async_loss: true' : ''}`,
      });
      try {
        await checkRestart(w);
      } finally {
        w.cleanup();
      }
    });
  }
});
