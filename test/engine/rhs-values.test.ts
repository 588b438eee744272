// RHS values built without intermediate copies: a multislot given one multifield expression
// takes that value as is, modify evaluates its target once, and multifield builtins fill their
// results by index. These cases fail if a shared value could be changed through another fact
// or a target's side effects ran twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, type Value } from '../../src/engine/index.ts';

const listing = (e: Engine, template: string): string[] =>
  e.facts({ template }).map((f) => f.toString());

describe('RHS values', () => {
  it('a multislot set from one expression holds its multifield, or a single value wrapped', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (multislot tags) (slot n))
      (deftemplate b (multislot tags) (multislot one) (multislot none))
      (defrule copy (a (tags $?t) (n ?n)) => (assert (b (tags ?t) (one ?n) (none (create$)))))
    `);
    e.assertString('(a (tags x "y" 3) (n 7))');
    e.run();
    assert.deepEqual(listing(e, 'b'), ['(b (tags x "y" 3) (one 7) (none))']);
  });

  it('a host function changing its copy of a shared multifield changes no fact', () => {
    const e = new Engine();
    e.registerFunction('scramble', (list: Value) => {
      const items = list as unknown as unknown[];
      items.reverse();
      items.push('extra');
      return items as never;
    });
    e.build(`
      (deftemplate a (multislot tags))
      (deftemplate b (multislot tags) (multislot mixed))
      (defrule r ?f <- (a (tags $?t)) =>
        (assert (b (tags ?t) (mixed (scramble ?t))))
        (modify ?f (tags ?t)))
    `);
    e.assertString('(a (tags p q))');
    e.run();
    assert.deepEqual(listing(e, 'b'), ['(b (tags p q) (mixed q p "extra"))']);
    assert.deepEqual(listing(e, 'a'), ['(a (tags p q))']);
  });

  it('modify evaluates its target expression once', () => {
    const out: string[] = [];
    const e = new Engine({ write: (_n, t) => out.push(t) });
    e.build(`
      (deftemplate t (slot a))
      (deffunction mk () (printout t "mk" crlf) (assert (t (a 1))))
      (defrule r => (modify (mk) (a 2)))
    `);
    e.reset();
    e.run();
    assert.deepEqual(out, ['mk\n']);
    assert.deepEqual(listing(e, 't'), ['(t (a 2))']);
  });

  it('modify and duplicate change the named slots only, in order', () => {
    const e = new Engine();
    e.build(`
      (deftemplate t (slot a) (multislot m) (slot c))
      (defrule r ?f <- (t (a 1) (c 0)) =>
        (duplicate ?f (c (+ 1 2)) (m (create$ x y) z))
        (modify ?f (a 2) (c done)))
    `);
    e.assertString('(t (a 1) (m q) (c 0))');
    e.run();
    assert.deepEqual(listing(e, 't'), ['(t (a 1) (m x y z) (c 3))', '(t (a 2) (m q) (c done))']);
  });

  it('a modify that makes a fact identical to another leaves no duplicate', () => {
    // The modified fact's duplicate-detection hash is updated slot by slot (not recomputed):
    // it must equal the hash of the same values asserted afresh.
    const e = new Engine();
    e.build(`
      (deftemplate t (slot a) (multislot m) (slot b))
      (deftemplate go (slot n))
      (defrule r (go (n ?n)) ?f <- (t (a ?n)) => (modify ?f (a 1) (m (create$ x y)) (a 0) (b q)))
    `);
    e.assertString('(t (a 0) (m x y) (b q))');
    e.assertString('(t (a 5) (m x y) (b p))');
    e.assertString('(go (n 5))');
    e.run();
    assert.deepEqual(listing(e, 't'), ['(t (a 0) (m x y) (b q))']);
    assert.equal(e.assertString('(t (a 0) (m x y) (b q))').id, 1);
  });

  it('deffunction calls get a frame of their own, with or without a wildcard parameter', () => {
    // Calls of deffunctions without a wildcard evaluate their arguments straight into the
    // body's frame: recursion and locals must still see one frame per call.
    const e = new Engine();
    e.build(`
      (deffunction fib (?n)
        (bind ?a 0)
        (if (< ?n 2) then ?n else (bind ?a (fib (- ?n 1))) (+ ?a (fib (- ?n 2)))))
      (deffunction pair (?x ?y) (bind ?t ?x) (create$ ?y ?t))
      (deffunction all (?first $?rest) (create$ ?rest ?first))
      (deftemplate r (slot fib) (multislot pair) (multislot all) (multislot spliced))
      (defrule go =>
        (assert (r (fib (fib 12)) (pair (pair a b)) (all (all 1 2 (create$ 3 4)))
                   (spliced (pair (expand$ (create$ x y)))))))
    `);
    e.reset();
    e.run();
    assert.deepEqual(listing(e, 'r'), ['(r (fib 144) (pair b a) (all 2 3 4 1) (spliced y x))']);
  });

  it('create$ and member$ splice and search multifields', () => {
    const e = new Engine();
    e.build(`
      (deftemplate r (multislot all) (slot at) (slot miss) (multislot run))
      (defrule go =>
        (bind ?l (create$ a (create$) (create$ b c) d))
        (assert (r (all ?l) (at (member$ c ?l)) (miss (member$ z ?l)) (run (member$ (create$ b c) ?l)))))
    `);
    e.reset();
    e.run();
    assert.deepEqual(listing(e, 'r'), ['(r (all a b c d) (at 3) (miss FALSE) (run 2 3))']);
  });
});
