// FactTable (live facts by id: a ring over the newest ids, a map for older ones) against a plain
// Map: growing ids with gaps and huge jumps, long-lived facts the window moves past, ids that
// restart (reset) and clear.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Fact } from '../../src/engine/fact.ts';
import { FactTable } from '../../src/engine/fact-table.ts';

const fact = (id: number): Fact => ({ id }) as Fact;
const ids = (t: FactTable): number[] => [...t].map((f) => f.id);

function agrees(t: FactTable, model: Map<number, Fact>, probe: readonly number[]): void {
  assert.equal(t.size, model.size);
  assert.deepEqual(
    ids(t),
    [...model.keys()].sort((a, b) => a - b),
  );
  for (const id of probe) assert.equal(t.get(id), model.get(id), `get(${id})`);
}

test('long-lived facts stay reachable after the window moves past them, in id order', () => {
  const t = new FactTable();
  const model = new Map<number, Fact>();
  // 3,000 facts loaded at start (the ring grows for them), of which every 30th stays, then
  // 5,000 transient facts in batches of 20, of which every 250th stays (the ring shrinks back).
  for (let id = 0; id < 3000; id++) {
    const f = fact(id);
    t.add(f);
    model.set(id, f);
  }
  for (let id = 0; id < 3000; id++) {
    if (id % 30 === 0) continue;
    t.delete(model.get(id) as Fact);
    model.delete(id);
  }
  let next = 3000;
  for (let b = 0; b < 250; b++) {
    const batch: Fact[] = [];
    for (let k = 0; k < 20; k++) batch.push(fact(next++));
    for (const f of batch) {
      t.add(f);
      model.set(f.id, f);
    }
    for (const f of batch) {
      if (f.id % 250 === 0) continue;
      t.delete(f);
      model.delete(f.id);
    }
  }
  agrees(t, model, [0, 1, 30, 2990, 3000, 3250, 3251, 7999, 8000, 8099, -1, 0.5, 2 ** 32]);
  // Retracting the old ones works wherever they now live.
  for (const id of [0, 60, 3000, 7750]) {
    t.delete(model.get(id) as Fact);
    model.delete(id);
  }
  agrees(t, model, [0, 60, 3000, 7750, 90, 3250]);
});

test('a huge id jump keeps the facts below it and does not scan the gap', () => {
  const t = new FactTable();
  const a = fact(3);
  const b = fact(4);
  const c = fact(2 ** 40);
  t.add(a);
  t.add(b);
  t.add(c);
  assert.deepEqual(ids(t), [3, 4, 2 ** 40]);
  assert.equal(t.get(3), a);
  assert.equal(t.get(2 ** 40), c);
  assert.equal(t.get(2 ** 40 + 64), undefined);
  assert.equal(t.get(4 + 64), undefined, 'a slot shared with another id answers nothing');
  t.delete(b);
  assert.equal(t.get(4), undefined);
  assert.equal(t.size, 2);
});

test('a jump from a full window lands in a window that covers it', () => {
  const t = new FactTable();
  const model = new Map<number, Fact>();
  const put = (id: number): void => {
    const f = fact(id);
    t.add(f);
    model.set(id, f);
  };
  for (let id = 0; id < 64; id++) put(id);
  put(1000);
  for (let id = 0; id < 64; id++) {
    t.delete(model.get(id) as Fact);
    model.delete(id);
  }
  for (let id = 1001; id < 1300; id++) put(id);
  agrees(t, model, [1000, 1001, 1299, 104, 232]);
});

test('a jump from a sparse ring that shrinks keeps the facts below it', () => {
  const t = new FactTable();
  const model = new Map<number, Fact>();
  const put = (id: number): void => {
    const f = fact(id);
    t.add(f);
    model.set(id, f);
  };
  // 8,192 facts grow the ring to 8,192 slots; 14 stay: 100, 4116..4119, 4196 and 8184..8191.
  // The next id past the window, 8214, makes the ring slide to 4119 and halve; 100 and 4196,
  // and 4118 and 8214, share a slot of the halved ring.
  const stay = (id: number) => id === 100 || id === 4196 || (id >= 4116 && id <= 4119);
  for (let id = 0; id < 8192; id++) put(id);
  for (let id = 0; id < 8184; id++) {
    if (stay(id)) continue;
    t.delete(model.get(id) as Fact);
    model.delete(id);
  }
  for (const start of [8214, 20_000, 21_000, 90_000]) {
    for (let id = start; id < start + 70; id++) put(id);
    agrees(t, model, [100, 4116, 4118, 4119, 4196, 8184, 8191, start, start + 69]);
  }
});

test('deleting a fact that is not in the table (same id, other object) changes nothing', () => {
  const t = new FactTable();
  const a = fact(1);
  t.add(a);
  t.delete(fact(1));
  t.delete(fact(65));
  assert.equal(t.get(1), a);
  assert.equal(t.size, 1);
});

test('clear empties the table and ids may start over', () => {
  const t = new FactTable();
  for (let id = 0; id < 300; id++) t.add(fact(id));
  t.clear();
  assert.equal(t.size, 0);
  assert.deepEqual(ids(t), []);
  assert.equal(t.get(5), undefined);
  const f = fact(5);
  t.add(f);
  assert.equal(t.get(5), f);
  assert.deepEqual(ids(t), [5]);
});

test('behaves like a Map under random add/delete/restart/clear sequences', () => {
  const op = fc.oneof(
    { weight: 9, arbitrary: fc.record({ kind: fc.constant('add' as const), step: fc.nat(3) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('jump' as const),
        step: fc.constantFrom(65, 200, 1000, 5000, 2 ** 20, 2 ** 33),
      }),
    },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('restart' as const), at: fc.nat(200) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
      const t = new FactTable();
      const model = new Map<number, Fact>();
      let next = 0;
      const probe = new Set<number>([0, 1, 63, 64, 65]);
      for (const o of ops) {
        switch (o.kind) {
          case 'add':
          case 'jump': {
            next += o.step;
            while (model.has(next)) next++;
            const f = fact(next);
            t.add(f);
            model.set(next, f);
            probe.add(next);
            probe.add(next + 64);
            next++;
            break;
          }
          case 'delete': {
            if (model.size === 0) break;
            const live = [...model.keys()];
            const id = live[o.pick % live.length] as number;
            t.delete(model.get(id) as Fact);
            model.delete(id);
            break;
          }
          case 'restart':
            // As after a reset: ids start low again (here possibly while facts are live).
            next = o.at;
            break;
          case 'clear':
            t.clear();
            model.clear();
            next = 0;
            break;
        }
      }
      agrees(t, model, [...probe]);
    }),
    { numRuns: 300 },
  );
});
