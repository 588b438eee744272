// A join's left memory gets its per-key index only when an alpha entry arrives or leaves while
// partial matches wait there (`STORE_UNINDEXED` until then, see rete.ts). These cases check
// that the index is deferred, that the first right activation builds it with every waiting
// partial match in its bucket, and that matching is the same either way (the order of
// activations is pinned against CLIPS by differential program 079).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/index.ts';
import { type PatternNode, STORE_KEYED, STORE_UNINDEXED } from '../../src/engine/rete.ts';

const RULES = `
  (deftemplate a (slot k) (slot n))
  (deftemplate b (slot k))
  (defrule j (a (k ?k) (n ?n)) (b (k ?k)) =>)
`;

/** The node of rule j that joins b with the waiting a partial matches. */
function bJoin(e: Engine): PatternNode {
  const rule = e.rules.get('MAIN::j');
  const node = rule?.disjuncts[0]?.patternNodes[1];
  assert.ok(node !== undefined, 'rule j has a second pattern node');
  return node;
}

function activations(e: Engine): string[] {
  return e
    .agenda()
    .map((a) => a.token.basisIds().join(','))
    .sort();
}

describe('left memory indexed on demand', () => {
  it('keeps waiting partial matches unindexed until the right side changes', () => {
    const e = new Engine();
    e.build(RULES);
    for (const [k, n] of [
      ['x', 1],
      ['y', 2],
      ['x', 3],
    ] as const) {
      e.assertString(`(a (k ${k}) (n ${n}))`);
    }
    const node = bJoin(e);
    assert.equal(node.store, STORE_UNINDEXED);
    assert.equal(node.leftMem.size, 0);
    assert.equal(node.leftEmpty(), false);

    e.assertString('(b (k x))');
    assert.equal(node.store, STORE_KEYED);
    // Two keys (x and y) now have buckets; x's holds f-1 and f-3, oldest first.
    assert.equal(node.leftMem.size, 2);
    assert.deepEqual(activations(e), ['1,4', '3,4']);

    // Partial matches stored after the index exists go into it.
    e.assertString('(a (k y) (n 5))');
    e.assertString('(b (k y))');
    assert.deepEqual(activations(e), ['1,4', '2,6', '3,4', '5,6']);
  });

  it('an empty left memory at a right activation leaves the node unindexed', () => {
    const e = new Engine();
    e.build(RULES);
    e.assertString('(b (k x))');
    const node = bJoin(e);
    assert.equal(node.store, STORE_UNINDEXED);
    const a = e.assertString('(a (k x) (n 1))');
    assert.deepEqual(activations(e), ['2,1']);
    e.retract(a);
    e.assertString('(b (k y))');
    assert.equal(node.store, STORE_UNINDEXED);
    assert.deepEqual(activations(e), []);
  });

  it('removes partial matches from the middle and both ends before and after indexing', () => {
    const e = new Engine();
    e.build(RULES);
    const ids: number[] = [];
    for (let n = 1; n <= 6; n++)
      ids.push(e.assertString(`(a (k ${n % 2 ? 'x' : 'y'}) (n ${n}))`).id);
    // Unindexed: oldest, newest and a middle one go.
    e.retract(ids[0] as number);
    e.retract(ids[5] as number);
    e.retract(ids[2] as number);
    const node = bJoin(e);
    assert.equal(node.store, STORE_UNINDEXED);
    const bx = e.assertString('(b (k x))').id;
    const by = e.assertString('(b (k y))').id;
    assert.equal(node.store, STORE_KEYED);
    assert.deepEqual(activations(e), ['2,8', '4,8', '5,7']);
    // Indexed: the remaining x partial match and one y partial match go.
    e.retract(ids[4] as number);
    e.retract(ids[1] as number);
    assert.deepEqual(activations(e), [`4,${by}`]);
    e.retract(by);
    e.retract(bx);
    assert.deepEqual(activations(e), []);
    assert.equal(node.leftMem.size, 1);
  });
});
