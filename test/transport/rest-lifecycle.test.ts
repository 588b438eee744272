// Readiness and lifecycle: /readyz is 503 while the broker starts (startup recovery and session
// restore) and again once shutdown began; requests get 503 NAU_NOT_READY / NAU_SHUTTING_DOWN
// then; a broker that cannot start leaves the server unready. Also: public metrics, --no-auth.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAdapter } from '../../src/adapters/index.ts';
import { Broker, type BrokerObserver, type BrokerOptions } from '../../src/broker/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { startRestServer } from '../../src/transport/rest/index.ts';
import { call, captureLogger, KEYS, quickstartCopy, startTestServer } from './rest-fixture.ts';

const request = { agent_id: 'soc-analyst', intent: 'critical CVEs on 10.0.0.5' };

describe('readiness', () => {
  let copy: ReturnType<typeof quickstartCopy>;
  before(() => {
    copy = quickstartCopy();
  });
  after(() => copy.cleanup());

  it('is 503 until the broker has started, then 200; 503 again while stopping', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await startTestServer(copy.config, async (observer: BrokerObserver) => {
      await gate; // startup recovery "takes a while"
      return Broker.fromConfig(copy.config, { observer });
    });
    try {
      const base = server.url;
      const early = await call(base, 'GET', '/readyz');
      assert.equal(early.status, 503);
      assert.equal(early.body.error.code, 'NAU_NOT_READY');
      assert.equal((await call(base, 'GET', '/healthz')).status, 200, 'alive while starting');
      const refused = await call(base, 'POST', '/v1/request', { key: KEYS.demo, body: request });
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, 'NAU_NOT_READY');
      assert.equal(refused.headers.get('retry-after'), '1');
      // Authentication still comes first.
      assert.equal((await call(base, 'POST', '/v1/request', { body: request })).status, 401);
      assert.equal((await call(base, 'GET', '/metrics', { key: KEYS.demo })).status, 200);

      release();
      await server.ready;
      assert.equal((await call(base, 'GET', '/readyz')).status, 200);
      const ok = await call(base, 'POST', '/v1/request', { key: KEYS.demo, body: request });
      assert.equal(ok.status, 200, ok.text);

      server.state.stopping();
      const stopping = await call(base, 'GET', '/readyz');
      assert.equal(stopping.status, 503);
      assert.equal(stopping.body.error.code, 'NAU_SHUTTING_DOWN');
      const late = await call(base, 'POST', '/v1/request', { key: KEYS.demo, body: request });
      assert.equal(late.status, 503);
      assert.equal(late.body.error.code, 'NAU_SHUTTING_DOWN');
      assert.equal((await call(base, 'GET', '/healthz')).status, 200, 'still alive');
    } finally {
      release();
      const result = await server.shutdown({ timeoutMs: 5000 });
      assert.equal(result.clean, true);
    }
  });

  it('stays unready when the broker cannot start', async () => {
    const server = await startTestServer(copy.config, async () => {
      throw new NautilusError('NAU_RULES_INVALID', 'a broken rule', 400);
    });
    try {
      await assert.rejects(server.ready, /a broken rule/);
      const r = await call(server.url, 'GET', '/readyz');
      assert.equal(r.status, 503);
      const q = await call(server.url, 'POST', '/v1/request', { key: KEYS.demo, body: request });
      assert.equal(q.body.error.code, 'NAU_NOT_READY');
    } finally {
      await server.shutdown({ timeoutMs: 1000 });
    }
  });

  it('shutdown waits for a request in flight, which completes with its answer', async () => {
    let releaseFetch: () => void = () => {};
    const slow = new Promise<void>((resolve) => {
      releaseFetch = resolve;
    });
    let fetching = 0;
    // The real adapters, with the source query held until the test lets it go.
    const adapterFactory: BrokerOptions['adapterFactory'] = (spec) => {
      const real = createAdapter(spec);
      return {
        sourceId: real.sourceId,
        connect: () => real.connect(),
        close: () => real.close(),
        health: () => real.health(),
        execute: async (intent, scope, ctx) => {
          fetching++;
          await slow;
          return real.execute(intent, scope, ctx);
        },
      };
    };
    const server = await startTestServer(copy.config, (observer) =>
      Broker.fromConfig(copy.config, { observer, adapterFactory }),
    );
    await server.ready;
    const inFlight = call(server.url, 'POST', '/v1/request', { key: KEYS.demo, body: request });
    while (fetching === 0) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.state.busy, 1);
    const stopping = server.shutdown({ timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    const refused = await fetch(`${server.url}/healthz`).catch((e: Error) => e);
    assert.ok(refused instanceof Error, 'the listener is closed: new connections are refused');
    releaseFetch();
    const answer = await inFlight;
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body.sources_queried, ['vuln-scans']);
    assert.equal((await stopping).clean, true);
  });
});

describe('server options', () => {
  it('api.public_metrics serves /metrics without a key (and only /metrics)', async () => {
    const copy = quickstartCopy(`api:
  public_metrics: true
  keys:
    - { id: k, key: ${KEYS.admin}, agents: ['*'] }
`);
    const server = await startTestServer(copy.config);
    try {
      await server.ready;
      assert.equal((await call(server.url, 'GET', '/metrics')).status, 200);
      assert.equal((await call(server.url, 'GET', '/v1/sources')).status, 401);
      const doc = await call(server.url, 'GET', '/openapi.json', { key: KEYS.admin });
      assert.deepEqual(doc.body.paths['/metrics'].get.security, []);
    } finally {
      await server.shutdown({ timeoutMs: 2000 });
      copy.cleanup();
    }
  });

  it('without authentication (auth: null, what --no-auth gives) any caller acts as any agent', async () => {
    const copy = quickstartCopy('api: {}\n');
    const { logger } = captureLogger();
    const server = await startRestServer({
      config: loadConfig(copy.config),
      host: '127.0.0.1',
      port: 0,
      logger,
      auth: null,
    });
    try {
      await server.ready;
      const r = await call(server.url, 'POST', '/v1/request', { body: request });
      assert.equal(r.status, 200, r.text);
    } finally {
      await server.shutdown({ timeoutMs: 2000 });
      copy.cleanup();
    }
  });
});
