// The memory store against the shared contract, plus what is specific to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemorySessionStore } from '../../src/session/store/index.ts';
import { rejectsWith, saveAs, storeContract } from './store-contract.ts';

storeContract({
  name: 'memory',
  async fresh(t) {
    const store = new MemorySessionStore();
    await store.open();
    t.after(() => store.close());
    return store;
  },
  skipReason: () => '',
});

test('memory store: calls before open() fail with NAU_STORE_UNAVAILABLE; health says not durable', async () => {
  const store = new MemorySessionStore();
  const e = await rejectsWith(store.load('s'), 'NAU_STORE_UNAVAILABLE');
  assert.match(e.message, /not open/);
  assert.equal((await store.health()).ok, false);
  await store.open();
  await store.open(); // idempotent
  await saveAs(store, 's', 0, { n: 1 });
  const h = await store.health();
  assert.equal(h.ok, true);
  assert.match(h.detail ?? '', /not durable/);
  await store.close();
});

test('memory store: nothing survives a new instance (not durable, by design)', async () => {
  const a = new MemorySessionStore();
  await a.open();
  await saveAs(a, 's', 0, { n: 1 });
  await a.close();
  const b = new MemorySessionStore();
  await b.open();
  assert.equal(await b.load('s'), null);
  await b.close();
});
