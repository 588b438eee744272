// not/exists nodes remember one matching entry per partial match (its blocker), as CLIPS does,
// instead of counting all of them. The answers must not change: a blocker that goes is
// replaced by another match if there is one; entries of the fact being retracted never stand
// in; and a new partial match looks no further than its first match.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basisText } from '../../src/engine/engine.ts';
import { Engine, type Fact, type Value } from '../../src/engine/index.ts';

const agenda = (e: Engine): string[] =>
  e.agenda().map((a) => `${a.rule.name}: ${basisText(a.token)}`);

describe('not/exists blockers', () => {
  it('a not stays blocked while any blocker remains, in any retraction order', () => {
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 0, 2],
    ]) {
      const e = new Engine();
      e.build(`
        (deftemplate a (slot k))
        (deftemplate b (slot k) (slot n))
        (defrule free (a (k ?k)) (not (b (k ?k))) => (assert (free ?k)))
        (defrule busy (a (k ?k)) (exists (b (k ?k))) => (assert (busy ?k)))
      `);
      const a = e.assertString('(a (k 1))');
      const bs: Fact[] = [0, 1, 2].map((n) => e.assertString(`(b (k 1) (n ${n}))`));
      assert.deepEqual(agenda(e), [`busy: f-${a.id},*`]);
      for (const [i, n] of order.entries()) {
        e.retract(bs[n] as Fact);
        const last = i === order.length - 1;
        assert.deepEqual(agenda(e), [`${last ? 'free' : 'busy'}: f-${a.id},*`], `order ${order}`);
      }
    }
  });

  it("a multifield fact's several entries block once and unblock once", () => {
    // (b (ks 1 1)) matches (b (ks $? ?k $?)) twice for k = 1: both entries belong to one fact.
    const e = new Engine();
    e.build(`
      (deftemplate a (slot k))
      (deftemplate b (multislot ks))
      (defrule free (a (k ?k)) (not (b (ks $? ?k $?))) => (assert (free ?k)))
    `);
    e.assertString('(a (k 1))');
    const b = e.assertString('(b (ks 1 1))');
    assert.deepEqual(agenda(e), []);
    e.retract(b);
    assert.equal(agenda(e).length, 1);
    e.run();
    assert.deepEqual(
      e.facts({ template: 'free' }).map((f) => f.toString()),
      ['(free 1)'],
    );
  });

  it('a new partial match tests its candidates only until the first match', () => {
    // The join test counts its calls: with 200 matching entries, an exists needs one.
    let calls = 0;
    const e = new Engine();
    e.registerFunction('probe', (..._args: Value[]) => {
      calls++;
      return true;
    });
    e.build(`
      (deftemplate s (slot id))
      (deftemplate x (slot s) (slot n))
      (defrule any (s (id ?s)) (exists (x (s ?s) (n ?n&:(probe ?n ?s)))) => (assert (seen ?s)))
    `);
    for (let n = 0; n < 200; n++) e.assertString(`(x (s 1) (n ${n}))`);
    calls = 0;
    e.assertString('(s (id 1))');
    assert.equal(calls, 1);
    assert.equal(agenda(e).length, 1);
  });

  it('retracting the blocker looks for another, newest first', () => {
    let calls = 0;
    const e = new Engine();
    e.registerFunction('probe', (..._args: Value[]) => {
      calls++;
      return true;
    });
    e.build(`
      (deftemplate s (slot id))
      (deftemplate x (slot s) (slot n))
      (defrule none (s (id ?s)) (not (x (s ?s) (n ?n&:(probe ?n ?s)))) => (assert (none ?s)))
    `);
    const xs = [];
    for (let n = 0; n < 50; n++) xs.push(e.assertString(`(x (s 1) (n ${n}))`));
    e.assertString('(s (id 1))');
    assert.deepEqual(agenda(e), []);
    // Oldest first: the blocker (the newest match) is not among them until the end.
    calls = 0;
    for (const x of xs.slice(0, 49)) e.retract(x);
    assert.equal(calls, 0);
    assert.deepEqual(agenda(e), []);
    e.retract(xs[49] as Fact);
    assert.equal(agenda(e).length, 1);
  });
});
