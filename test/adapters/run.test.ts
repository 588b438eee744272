// runWithTimeout and the failure type, exercised through a small custom adapter (the kind a user
// would write), plus createAdapter's dispatch.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  type Adapter,
  AdapterFailure,
  type AdapterResult,
  createAdapter,
  runWithTimeout,
  toAdapterFailure,
} from '../../src/adapters/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { assertNoLeak, ctx, intent, rejectsWith } from './fixtures.ts';

/** An adapter whose execute does whatever the test says. */
function custom(execute: Adapter['execute']): Adapter & { lastSignal?: AbortSignal } {
  const a: Adapter & { lastSignal?: AbortSignal } = {
    sourceId: 'custom',
    connect: async () => {},
    close: async () => {},
    health: async () => ({ ok: true }),
    execute: (i, s, c) => {
      a.lastSignal = c.signal;
      return execute(i, s, c);
    },
  };
  return a;
}

const ok = (n: number): AdapterResult => ({
  records: Array.from({ length: n }, (_, i) => ({ i })),
  truncated: false,
  scopeApplied: [],
});

describe('runWithTimeout', () => {
  test('passes a good result through', async () => {
    const r = await runWithTimeout(
      custom(async () => ok(3)),
      intent,
      [],
      ctx(),
      { timeoutMs: 1000 },
    );
    assert.equal(r.records.length, 3);
  });

  test('an adapter that never answers fails as timeout and sees its signal aborted', async () => {
    const a = custom(() => new Promise(() => {}));
    const e = await rejectsWith(
      runWithTimeout(a, intent, [], ctx(), { timeoutMs: 50 }),
      'timeout',
      'NAU_ADAPTER_TIMEOUT',
    );
    assert.match(e.message, /50 ms/);
    assert.equal(a.lastSignal?.aborted, true);
  });

  test('the caller aborting cancels the call', async () => {
    const ac = new AbortController();
    const a = custom(() => new Promise(() => {}));
    const p = runWithTimeout(a, intent, [], ctx({ signal: ac.signal }), { timeoutMs: 10_000 });
    setTimeout(() => ac.abort(), 20);
    const e = await rejectsWith(p, 'timeout');
    assert.match(e.message, /cancelled/);
    assert.equal(a.lastSignal?.aborted, true);
  });

  test('a raw error becomes internal, its text kept only as a non-enumerable cause', async () => {
    const raw = new Error('connect to postgres://admin:hunter2@db.internal failed');
    const e = await rejectsWith(
      runWithTimeout(
        custom(async () => {
          throw raw;
        }),
        intent,
        [],
        ctx(),
        { timeoutMs: 1000 },
      ),
      'internal',
      'NAU_ADAPTER_INTERNAL',
    );
    assertNoLeak(e, ['hunter2', 'db.internal', 'postgres://']);
    assert.equal(e.cause, raw);
    assert.match(inspect(e), /hunter2/, 'logs still see the cause');
  });

  test('a synchronous throw is isolated too', async () => {
    await rejectsWith(
      runWithTimeout(
        custom(() => {
          throw new TypeError('boom');
        }),
        intent,
        [],
        ctx(),
        { timeoutMs: 1000 },
      ),
      'internal',
    );
  });

  test('malformed results are invalid_response', async () => {
    for (const bad of [
      null,
      {},
      { records: 'x', truncated: false, scopeApplied: [] },
      { records: [1], truncated: false, scopeApplied: [] },
      { records: [], truncated: 'no', scopeApplied: [] },
      { records: [], truncated: false, scopeApplied: [1] },
    ])
      await rejectsWith(
        runWithTimeout(
          custom(async () => bad as unknown as AdapterResult),
          intent,
          [],
          ctx(),
          {
            timeoutMs: 1000,
          },
        ),
        'invalid_response',
      );
  });

  test('maxRows caps what a custom adapter returns', async () => {
    const r = await runWithTimeout(
      custom(async () => ok(10)),
      intent,
      [],
      ctx(),
      {
        timeoutMs: 1000,
        maxRows: 4,
      },
    );
    assert.equal(r.records.length, 4);
    assert.equal(r.truncated, true);
  });

  test('an already-aborted signal fails without calling the adapter', async () => {
    const ac = new AbortController();
    ac.abort();
    let called = false;
    await rejectsWith(
      runWithTimeout(
        custom(async () => {
          called = true;
          return ok(1);
        }),
        intent,
        [],
        ctx({ signal: ac.signal }),
        { timeoutMs: 1000 },
      ),
      'timeout',
    );
    assert.equal(called, false);
  });
});

describe('AdapterFailure', () => {
  test('is a NautilusError with code, status, class and source id', () => {
    const e = new AdapterFailure('upstream_status', 'src', 'HTTP 503');
    assert.ok(e instanceof NautilusError);
    assert.equal(e.code, 'NAU_ADAPTER_UPSTREAM_STATUS');
    assert.equal(e.status, 502);
    assert.equal(e.message, 'source src: HTTP 503');
    assert.deepEqual(e.detail, { source_id: 'src', failure_class: 'upstream_status' });
  });

  test('toAdapterFailure keeps a NautilusError code and our message', () => {
    const e = toAdapterFailure(new NautilusError('NAU_SCOPE_INVALID', 'bad field', 400), 's');
    assert.equal(e.code, 'NAU_SCOPE_INVALID');
    assert.equal(e.failureClass, 'scope_rejected');
    assert.equal(e.message, 'source s: bad field');
  });
});

describe('createAdapter', () => {
  test('builds each built-in type and refuses unknown ones', async () => {
    const s = createAdapter({
      id: 's',
      type: 'sqlite',
      connection: ':memory:',
      table: 't',
      seedSql: 'CREATE TABLE t (a INTEGER)',
    });
    const p = createAdapter({
      id: 'p',
      type: 'postgres',
      connection: 'postgres://x/y',
      table: 't',
    });
    const r = createAdapter({
      id: 'r',
      type: 'rest',
      connection: 'https://example.com',
      endpoints: [{ path: '/x' }],
    });
    assert.deepEqual(
      [s, p, r].map((a) => a.constructor.name),
      ['SqliteAdapter', 'PostgresAdapter', 'RestAdapter'],
    );
    for (const a of [s, p, r]) await a.close();
    assert.throws(
      () => createAdapter({ id: 'x', type: 'mongo' as 'rest', connection: 'x' }),
      (e: unknown) =>
        e instanceof NautilusError && e.code === 'NAU_ADAPTER_CONFIG' && /mongo/.test(e.message),
    );
  });
});
