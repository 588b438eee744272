// A join writes a token's variables into its scratch frame once and tests it against a whole
// bucket of entries. These cases must still see the token's own values for every pair: a test
// that rebinds a variable, and a nested assert (from a later node's test) that makes the same
// join test another token in the middle of the bucket.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, type Value } from '../../src/engine/index.ts';
import { factTexts } from './fact-texts.ts';

describe('join scratch frames', () => {
  it('a test that rebinds a variable does not leak into the next pair', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (slot x))
      (deftemplate b (slot y) (slot tag))
      (defrule r (a (x ?x)) (b (y ?y&:(eq ?y ?x)&:(bind ?x 0)) (tag ?t)) => (assert (hit ?t)))
    `);
    for (const tag of ['p', 'q', 'r']) e.assertString(`(b (y 1) (tag ${tag}))`);
    e.assertString('(a (x 1))');
    e.run();
    assert.deepEqual(factTexts(e, 'hit'), ['(hit p)', '(hit q)', '(hit r)']);
  });

  it('a nested assert through the same join does not change the outer token', () => {
    const e = new Engine();
    let nested = false;
    e.registerFunction('hook', (..._args: Value[]) => {
      if (!nested) {
        nested = true;
        e.assertString('(a (x 100))');
      }
      return true;
    });
    e.build(`
      (deftemplate a (slot x))
      (deftemplate b (slot y))
      (deftemplate c (slot k))
      (defrule r (a (x ?x)) (b (y ?y&:(> ?y ?x))) (c (k ?k&:(hook ?k ?x)))
        => (assert (hit ?x ?y ?k)))
    `);
    e.assertString('(c (k 1))');
    for (const y of [1, 2, 3]) e.assertString(`(b (y ${y}))`);
    e.assertString('(a (x 0))');
    assert.equal(nested, true);
    e.run();
    assert.deepEqual(factTexts(e, 'hit'), ['(hit 0 1 1)', '(hit 0 2 1)', '(hit 0 3 1)']);
  });
});
