// Removed tokens are reused for new partial matches (src/engine/token.ts, `newToken`). A reused
// token object must never pass for the match it used to hold: not in a join's cached scratch
// frame, not in a firing's description, not in the agenda.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, type Firing, type Value } from '../../src/engine/index.ts';
import { factTexts } from './fact-texts.ts';

describe('token reuse', () => {
  it("a join's beta test sees a reused token's new values, not the old match's", () => {
    // The b join caches the variables of the last token it tested (?x = 10). Retracting (a 10)
    // frees that token and asserting (a 1) reuses the same object: the join must test 5 > 1
    // afresh, not 5 > 10 from the cache.
    const e = new Engine();
    e.build(`
      (deftemplate a (slot x))
      (deftemplate b (slot y))
      (defrule r (a (x ?x)) (b (y ?y&:(> ?y ?x))) => (assert (hit ?x ?y)))
    `);
    const a10 = e.assertString('(a (x 10))');
    e.assertString('(b (y 5))');
    e.retract(a10);
    e.assertString('(a (x 1))');
    e.run();
    assert.deepEqual(factTexts(e, 'hit'), ['(hit 1 5)']);
  });

  it('the same holds when the new entry arrives after the reused token', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (slot x))
      (deftemplate b (slot y))
      (defrule r (a (x ?x)) (b (y ?y&:(> ?y ?x))) => (assert (hit ?x ?y)))
    `);
    e.assertString('(b (y 50))');
    const a10 = e.assertString('(a (x 10))');
    e.retract(a10);
    e.assertString('(a (x 60))');
    e.assertString('(b (y 70))');
    e.run();
    assert.deepEqual(factTexts(e, 'hit'), ['(hit 60 70)']);
  });

  it('a firing whose actions retract its own match is described as it matched', () => {
    // The RHS drops the firing token and asserts a new match that reuses it; run() must still
    // report the facts the rule fired on.
    const e = new Engine();
    e.build(`
      (deftemplate a (slot x))
      (deftemplate b (slot y))
      (defrule r ?f <- (a (x ?x)) (b (y ?x)) => (retract ?f) (assert (a (x (+ ?x 1)))))
    `);
    const a1 = e.assertString('(a (x 1))');
    const b1 = e.assertString('(b (y 1))');
    const b2 = e.assertString('(b (y 2))');
    const seen: Firing[] = [];
    e.onFire((f) => seen.push(f));
    const result = e.run();
    assert.deepEqual(
      result.fired.map((f) => f.facts),
      [
        [a1.id, b1.id],
        [a1.id + 3, b2.id],
      ],
    );
    assert.deepEqual(seen, result.fired);
  });

  it('a listener registered by a rule action hears the firings after that one', () => {
    const e = new Engine();
    const seen: string[] = [];
    e.registerFunction('listen', (..._args: Value[]) => {
      e.onFire((f) => seen.push(`${f.rule} ${f.facts.join(',')}`));
      return true;
    });
    e.build(`
      (deftemplate a (slot x))
      (defrule first (a (x 1)) => (listen) (assert (a (x 2))))
      (defrule second (a (x 2)) => (assert (hit done)))
    `);
    e.assertString('(a (x 1))');
    e.run();
    assert.deepEqual(seen, ['second 2']);
    // The batch runner's `(run)` does not describe firings unless someone listens.
    seen.length = 0;
    const batch = new Engine();
    batch.registerFunction('listen', (..._args: Value[]) => {
      batch.onFire((f) => seen.push(`${f.rule} ${f.facts.join(',')}`));
      return true;
    });
    batch.build(`
      (deftemplate a (slot x))
      (defrule first (a (x 1)) => (listen) (assert (a (x 2))))
      (defrule second (a (x 2)) => (assert (hit done)))
    `);
    batch.assertString('(a (x 1))');
    batch.runLoop(100);
    assert.deepEqual(seen, ['second 2']);
  });

  it('many reused tokens keep the agenda consistent with a fresh engine', () => {
    // Build and drop a few thousand partial matches, then compare the agenda with that of an
    // engine that never dropped any.
    const rules = `
      (deftemplate a (slot k) (slot v))
      (deftemplate b (slot k) (slot w))
      (defrule pair (a (k ?k) (v ?v)) (b (k ?k) (w ?w&:(> ?w ?v))) (not (a (k ?k) (v 0)))
        => (assert (hit ?k ?v ?w)))
    `;
    const churned = new Engine();
    churned.build(rules);
    for (let round = 0; round < 20; round++) {
      const made = [];
      for (let k = 0; k < 10; k++) {
        made.push(churned.assertString(`(a (k ${k}) (v ${round}))`));
        made.push(churned.assertString(`(b (k ${k}) (w ${round + (k % 3)}))`));
      }
      for (const f of made) churned.retract(f);
    }
    const fresh = new Engine();
    fresh.build(rules);
    for (const e of [churned, fresh]) {
      for (let k = 0; k < 10; k++) {
        e.assertString(`(a (k ${k}) (v ${k}))`);
        e.assertString(`(b (k ${k}) (w ${10 - k}))`);
      }
      e.assertString('(a (k 3) (v 0))');
    }
    const show = (e: Engine) => e.agenda().map((a) => `${a.rule.name} ${a.token.basis().length}`);
    assert.deepEqual(show(churned), show(fresh));
    churned.run();
    fresh.run();
    assert.deepEqual(factTexts(churned, 'hit'), factTexts(fresh, 'hit'));
    // k < 5 has w > v; (a (k 0) (v 0)) and (a (k 3) (v 0)) block k = 0 and k = 3.
    assert.deepEqual(factTexts(fresh, 'hit'), ['(hit 1 1 9)', '(hit 2 2 8)', '(hit 4 4 6)']);
  });
});
