// A rule ending in a not/exists or test CE gets its activation on the token of that CE's node
// (no child token that would only repeat it, src/engine/rete.ts `BetaNode.emit`). The match
// must still show that CE (`*` for not/exists, nothing for test), and blocking the not must
// take the activation back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basisText } from '../../src/engine/engine.ts';
import { Engine } from '../../src/engine/index.ts';

const agenda = (e: Engine): string[] =>
  e.agenda().map((a) => `${a.rule.name}: ${basisText(a.token)}`);

describe('rules ending in a not/exists or test CE', () => {
  it('show the not CE as * and lose the activation while it is blocked', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (slot x))
      (deftemplate b (slot x))
      (defrule r (a (x ?x)) (not (b (x ?x))) => (assert (hit ?x)))
    `);
    const a = e.assertString('(a (x 1))');
    assert.deepEqual(agenda(e), [`r: f-${a.id},*`]);
    const b = e.assertString('(b (x 1))');
    assert.deepEqual(agenda(e), []);
    e.retract(b);
    assert.deepEqual(agenda(e), [`r: f-${a.id},*`]);
    const run = e.run();
    assert.deepEqual(
      run.fired.map((f) => f.facts),
      [[a.id, null]],
    );
    // Refraction: blocking and unblocking again makes a new activation.
    const b2 = e.assertString('(b (x 1))');
    assert.deepEqual(agenda(e), []);
    e.retract(b2);
    assert.deepEqual(agenda(e), [`r: f-${a.id},*`]);
  });

  it('a rule of a lone not CE matches as *; exists likewise', () => {
    const e = new Engine();
    e.build(`
      (deftemplate b (slot x))
      (defrule none (not (b)) => (assert (empty)))
      (defrule some (exists (b)) => (assert (busy)))
    `);
    e.reset();
    assert.deepEqual(agenda(e), ['none: *']);
    const b = e.assertString('(b (x 1))');
    e.assertString('(b (x 2))');
    assert.deepEqual(agenda(e), ['some: *']);
    e.retract(b);
    assert.deepEqual(agenda(e), ['some: *']);
    assert.deepEqual(
      e.run().fired.map((f) => [f.rule, f.facts]),
      [['some', [null]]],
    );
  });

  it('a test CE at the end shows nothing of its own', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (slot x))
      (defrule big (a (x ?x)) (test (> ?x 1)) => (assert (hit ?x)))
    `);
    e.assertString('(a (x 1))');
    const a2 = e.assertString('(a (x 2))');
    assert.deepEqual(agenda(e), [`big: f-${a2.id}`]);
    e.retract(a2);
    assert.deepEqual(agenda(e), []);
  });
});
