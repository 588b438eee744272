// An alpha memory shared by patterns that join on different variables keeps one index per
// join key; an entry stores its first two keys in fields and further ones in a side array.
// Four rules over one memory (four indexes) must match, and forget retracted facts, through
// every index.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/index.ts';
import { factTexts } from './fact-texts.ts';

describe('alpha entries with many join keys', () => {
  it('match and retract through four indexes of one shared memory', () => {
    const e = new Engine();
    e.build(`
      (deftemplate p (slot a) (slot b) (slot c) (slot d))
      (deftemplate q (slot v))
      (defrule ra (q (v ?x)) (p (a ?x)) => (assert (hit a ?x)))
      (defrule rb (q (v ?x)) (p (b ?x)) => (assert (hit b ?x)))
      (defrule rc (q (v ?x)) (p (c ?x)) => (assert (hit c ?x)))
      (defrule rd (q (v ?x)) (p (d ?x)) => (assert (hit d ?x)))
    `);
    const gone = e.assertFact('p', { a: 9, b: 9, c: 9, d: 9 });
    e.assertFact('p', { a: 1, b: 2, c: 3, d: 4 });
    e.retract(gone);
    for (const v of [1, 2, 3, 4, 9]) e.assertFact('q', { v });
    e.run();
    assert.deepEqual(factTexts(e, 'hit'), ['(hit a 1)', '(hit b 2)', '(hit c 3)', '(hit d 4)']);
  });
});
