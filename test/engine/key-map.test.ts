// KeyMap (the network's open-addressing table) against a plain Map: random set/get/delete
// (and swap) sequences over colliding keys of every kind a join key can be.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { KeyMap, keyHash } from '../../src/engine/key-map.ts';
import { Sym } from '../../src/engine/values.ts';

const fact7 = { id: 7, retracted: false };
const KEYS: unknown[] = [
  undefined,
  0,
  1,
  -1,
  2 ** 29,
  1.5,
  'a',
  'b',
  '',
  'req-1',
  'req-2',
  1n,
  -5n,
  2n ** 70n,
  Sym.of('a'),
  Sym.of('req-1'),
  fact7,
  ...Array.from({ length: 40 }, (_, i) => `k${i}`),
  ...Array.from({ length: 40 }, (_, i) => i * 1024),
];

test('keyHash agrees with === (equal keys hash alike, -0 like 0)', () => {
  assert.equal(keyHash(0), keyHash(-0));
  assert.equal(keyHash('req-1'), keyHash(['req', '1'].join('-')));
  assert.equal(keyHash(12n), keyHash(BigInt(12)));
  assert.equal(keyHash(Sym.of('x')), keyHash(Sym.of('x')));
});

test('behaves like a Map under random set/get/delete sequences', () => {
  const op = fc.record({
    kind: fc.constantFrom('set', 'swap', 'delete', 'get', 'set', 'swap', 'get', 'clear'),
    key: fc.integer({ min: 0, max: KEYS.length - 1 }),
    value: fc.integer(),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const km = new KeyMap<number>();
      const m = new Map<unknown, number>();
      for (const o of ops) {
        const k = KEYS[o.key];
        if (o.kind === 'set') {
          km.set(k, o.value);
          m.set(k, o.value);
        } else if (o.kind === 'swap') {
          // swapH returns the value it replaced.
          assert.equal(km.swapH(k, keyHash(k), o.value), m.get(k));
          m.set(k, o.value);
        } else if (o.kind === 'delete') {
          assert.equal(km.delete(k), m.delete(k));
        } else if (o.kind === 'clear') {
          km.clear();
          m.clear();
        } else {
          assert.equal(km.get(k), m.get(k));
        }
        assert.equal(km.size, m.size);
      }
      for (const k of KEYS) assert.equal(km.get(k), m.get(k));
      assert.deepEqual([...km.values()].sort(), [...m.values()].sort());
      const keyIndexes = (ks: Iterable<unknown>) => [...ks].map((k) => KEYS.indexOf(k)).sort();
      assert.deepEqual(keyIndexes(km.keysList()), keyIndexes(m.keys()));
    }),
    { numRuns: 300 },
  );
});

test('grows past many keys and empties again; clear resets', () => {
  const km = new KeyMap<number>();
  for (let i = 0; i < 5000; i++) km.set(`x${i}`, i);
  assert.equal(km.size, 5000);
  for (let i = 0; i < 5000; i += 2) assert.equal(km.delete(`x${i}`), true);
  for (let i = 0; i < 5000; i++) assert.equal(km.get(`x${i}`), i % 2 === 0 ? undefined : i);
  km.clear();
  assert.equal(km.size, 0);
  assert.equal(km.get('x1'), undefined);
  km.set('x1', 1);
  assert.equal(km.get('x1'), 1);
});

test('large tables behave like a Map under random sequences', () => {
  // 3,000 keys: resizes and long probe runs, with deletions shifting keys back.
  const op = fc.record({
    kind: fc.constantFrom('set', 'delete', 'get', 'get'),
    key: fc.integer({ min: 0, max: 5999 }),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
      const km = new KeyMap<number>();
      const m = new Map<unknown, number>();
      for (let i = 0; i < 3000; i++) {
        km.set(`k${i}`, i);
        m.set(`k${i}`, i);
      }
      for (const o of ops) {
        const k = `k${o.key}`;
        if (o.kind === 'set') {
          km.set(k, o.key);
          m.set(k, o.key);
        } else if (o.kind === 'delete') assert.equal(km.delete(k), m.delete(k));
        else assert.equal(km.get(k), m.get(k));
      }
      for (let i = 0; i < 6000; i++) assert.equal(km.get(`k${i}`), m.get(`k${i}`));
      assert.equal(km.size, m.size);
    }),
    { numRuns: 20 },
  );
});
