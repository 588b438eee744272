// The duplicate-detection hash of a fact's slots is a sum of per-slot hashes (so a modify can
// update it slot by slot). A sum of weak per-slot hashes collides massively on structured
// values such as small integer pairs, which turns duplicate detection into long scans; these
// checks fail when the per-slot hashes are not spread. The index itself (a pointer-free table
// of hash and fact id pairs) is checked against a plain list, with hashes forced to collide.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Fact } from '../../src/engine/fact.ts';
import { FactIndex, slotHash, slotsHash } from '../../src/engine/fact-index.ts';
import { Sym, type Value } from '../../src/engine/values.ts';

const distinct = (rows: Value[][]): number => new Set(rows.map(slotsHash)).size;

describe('fact slot hashes', () => {
  it('spread pairs of small integers and mixed atoms', () => {
    const ints: Value[][] = [];
    const mixed: Value[][] = [];
    for (let a = 0; a < 300; a++) {
      for (let b = 0; b < 300; b++) {
        ints.push([BigInt(a), BigInt(b)]);
        mixed.push([`n${a}`, Sym.of(`s${b}`), [a * 1.5, 'x']]);
      }
    }
    assert.ok(distinct(ints) > 0.99 * ints.length, `${distinct(ints)} distinct of ${ints.length}`);
    assert.ok(distinct(mixed) > 0.99 * mixed.length);
  });

  it('tell swapped values apart and equal values alike', () => {
    assert.notEqual(slotsHash([1n, 2n]), slotsHash([2n, 1n]));
    assert.equal(slotsHash(['ab', Sym.of('c'), [1n]]), slotsHash(['ab', Sym.of('c'), [1n]]));
    assert.equal(slotsHash([0, 'x']), slotsHash([-0, 'x']));
    assert.notEqual(slotHash('a', 0), slotHash('a\u0000', 0));
  });

  it('equal the sum of the slot hashes (what a modify updates)', () => {
    const slots: Value[] = ['s-1', Sym.of('FALSE'), [Sym.of('pii'), 'x'], 3n, 2.5];
    let sum = 0;
    for (let i = 0; i < slots.length; i++) sum = (sum + slotHash(slots[i] as Value, i)) | 0;
    assert.equal(slotsHash(slots), sum);
  });
});

describe('FactIndex', () => {
  it('finds, adds and deletes like a list, whatever the hashes collide on', () => {
    // 40 facts over 5 hashes and 10 distinct slot values: every run mixes equal hashes of
    // equal and different facts.
    const pool = Array.from(
      { length: 40 },
      (_, id) => ({ id, hash: (id % 5) * 0x10001, slots: [BigInt(id % 10)] }) as unknown as Fact,
    );
    const op = fc.record({ kind: fc.constantFrom('add', 'delete', 'find'), at: fc.nat(39) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const index = new FactIndex();
        const live = new Map<number, Fact>();
        for (const o of ops) {
          const f = pool[o.at] as Fact;
          if (o.kind === 'add' && !live.has(f.id)) {
            index.add(f);
            live.set(f.id, f);
          } else if (o.kind === 'delete') {
            index.delete(f);
            live.delete(f.id);
          }
          // Every fact's lookup answers some live fact with the same hash and values, or none.
          for (const q of pool) {
            const found = index.find(q.slots, q.hash, live);
            const expected = [...live.values()].some(
              (x) => x.hash === q.hash && x.slots[0] === q.slots[0],
            );
            assert.equal(found !== undefined, expected);
            if (found !== undefined) {
              assert.equal(found.hash, q.hash);
              assert.equal(found.slots[0], q.slots[0]);
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('grows and shrinks back with many facts', () => {
    const index = new FactIndex();
    const live = new Map<number, Fact>();
    const facts = Array.from(
      { length: 70_000 },
      (_, id) => ({ id, hash: slotsHash([BigInt(id)]), slots: [BigInt(id)] }) as unknown as Fact,
    );
    for (const f of facts) {
      index.add(f);
      live.set(f.id, f);
    }
    for (const f of facts)
      if (f.id % 3 !== 0) {
        index.delete(f);
        live.delete(f.id);
      }
    for (const f of facts) assert.equal(index.find(f.slots, f.hash, live) === f, f.id % 3 === 0);
    for (const f of facts) index.delete(f);
    assert.equal(index.find([0n], slotsHash([0n]), live), undefined);
  });
});
