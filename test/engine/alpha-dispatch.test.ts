// Facts reach an alpha memory whose pattern requires a literal in a single-field slot only
// through a lookup on that slot's value (src/engine/network.ts `matchAlphas`), so the memory's
// matcher does not test that literal again (`accepts` in pattern.ts). Every way into the
// memory must therefore apply the same dispatch: also filling a new memory from the facts
// already in working memory when a rule is added later.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/index.ts';
import { factTexts } from './fact-texts.ts';

describe('alpha dispatch on a literal', () => {
  it('a rule added after the facts sees only the facts holding its literal', () => {
    const e = new Engine();
    e.build('(deftemplate a (slot k) (slot v))');
    e.assertString('(a (k x) (v 1))');
    e.assertString('(a (k y) (v 2))');
    e.assertString('(a (k "x") (v 3))');
    e.build('(defrule r (a (k x) (v ?v)) => (assert (hit ?v)))');
    e.run();
    assert.deepEqual(factTexts(e, 'hit'), ['(hit 1)']);
  });

  it('integers, floats, strings and symbols keep their CLIPS types', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (slot k) (slot v))
      (defrule int (a (k 1) (v ?v)) => (assert (hit int ?v)))
      (defrule flt (a (k 1.5) (v ?v)) => (assert (hit flt ?v)))
      (defrule str (a (k "s") (v ?v)) => (assert (hit str ?v)))
      (defrule sym (a (k s) (v ?v)) => (assert (hit sym ?v)))
    `);
    for (const [k, v] of [
      ['1', 1],
      ['1.0', 2],
      ['1.5', 3],
      ['"s"', 4],
      ['s', 5],
      ['2', 6],
    ] as const) {
      e.assertString(`(a (k ${k}) (v ${v}))`);
    }
    e.run();
    assert.deepEqual(factTexts(e, 'hit'), [
      '(hit flt 3)',
      '(hit int 1)',
      '(hit str 4)',
      '(hit sym 5)',
    ]);
  });

  it('a literal beside a predicate over the pattern own variables', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (slot k) (slot lo) (slot hi))
      (defrule r (a (k x) (lo ?lo) (hi ?hi&:(> ?hi ?lo))) => (assert (hit ?lo ?hi)))
    `);
    e.assertString('(a (k x) (lo 1) (hi 2))');
    e.assertString('(a (k x) (lo 3) (hi 2))');
    e.assertString('(a (k y) (lo 1) (hi 2))');
    e.run();
    assert.deepEqual(factTexts(e, 'hit'), ['(hit 1 2)']);
  });
});
