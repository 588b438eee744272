// Patterns that match a fact at most once share one alpha memory when their alpha tests are
// equal, whatever variables they capture (the entries hold the fact's slots). These cases check
// that sharing never merges patterns whose tests differ, that each pattern reads its own slots
// (including a fact address joined on later), and that a rule added later still finds its
// matches in a memory other rules already filled.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, type Fact } from '../../src/engine/index.ts';
import { factTexts } from './fact-texts.ts';

const entryCount = (f: Fact): number => {
  let n = 0;
  for (let x = f.entries; x !== null; x = x.nextOfFact) n++;
  return n;
};

describe('alpha memories shared across captured variables', () => {
  it('stores a fact once for patterns that only capture different slots', () => {
    const e = new Engine();
    e.build(`
      (deftemplate req (slot id) (slot purpose) (slot agent))
      (deftemplate cand (slot id) (slot src))
      (defrule p (cand (id ?r) (src ?s)) (req (id ?r) (purpose ?p)) => (assert (hp ?s ?p)))
      (defrule a (cand (id ?r) (src ?s)) (req (id ?r) (agent ?a)) => (assert (ha ?s ?a)))
      (defrule n (req (id ?r)) (not (cand (id ?r))) => (assert (hn ?r)))
    `);
    const f = e.assertString('(req (id 1) (purpose audit) (agent bob))');
    assert.equal(entryCount(f), 1);
    e.assertString('(cand (id 1) (src s1))');
    e.assertString('(cand (id 2) (src s2))');
    e.assertString('(req (id 3) (purpose ops) (agent amy))');
    e.run();
    assert.deepEqual(factTexts(e, 'hp'), ['(hp s1 audit)']);
    assert.deepEqual(factTexts(e, 'ha'), ['(ha s1 bob)']);
    assert.deepEqual(factTexts(e, 'hn'), ['(hn 3)']);
  });

  it('keeps patterns with different alpha tests apart', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (slot x) (slot y))
      (deftemplate k (slot v))
      (defrule same (a (x ?v) (y ?v)) => (assert (same ?v)))
      (defrule any (a (x ?v) (y ?w)) => (assert (any ?v ?w)))
      (defrule lit (k (v ?q)) (a (x ?q&foo)) => (assert (lit ?q)))
      (defrule join (k (v ?q)) (a (x ?z&foo)) => (assert (join ?q ?z)))
    `);
    e.assertString('(a (x foo) (y foo))');
    e.assertString('(a (x foo) (y bar))');
    e.assertString('(k (v foo))');
    e.assertString('(k (v baz))');
    e.run();
    assert.deepEqual(factTexts(e, 'same'), ['(same foo)']);
    assert.deepEqual(factTexts(e, 'any'), ['(any foo bar)', '(any foo foo)']);
    assert.deepEqual(factTexts(e, 'lit'), ['(lit foo)']);
    assert.deepEqual(factTexts(e, 'join'), ['(join baz foo)', '(join foo foo)']);
  });

  it('reads a fact address from a shared memory and joins on it', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (slot x))
      (deftemplate link (slot to))
      (defrule plain (a (x ?x)) => (assert (plain ?x)))
      (defrule addr ?f <- (a (x ?x)) (link (to ?f)) => (assert (linked ?x)))
    `);
    const a1 = e.assertString('(a (x 1))');
    e.assertString('(a (x 2))');
    assert.equal(entryCount(a1), 1);
    e.assertFact('link', { to: a1 });
    e.run();
    assert.deepEqual(factTexts(e, 'plain'), ['(plain 1)', '(plain 2)']);
    assert.deepEqual(factTexts(e, 'linked'), ['(linked 1)']);
  });

  it('a rule added later matches the facts of a memory already filled', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (slot x) (slot y))
      (defrule first (a (x ?x)) => (assert (first ?x)))
    `);
    e.assertString('(a (x 1) (y 10))');
    e.assertString('(a (x 2) (y 20))');
    e.build('(defrule second (a (y ?y)) (a (x ?y)) => (assert (second ?y)))');
    e.assertString('(a (x 10) (y 3))');
    e.run();
    assert.deepEqual(factTexts(e, 'first'), ['(first 1)', '(first 10)', '(first 2)']);
    assert.deepEqual(factTexts(e, 'second'), ['(second 10)']);
    // Retracting a fact both patterns of `second` matched leaves the other rule's facts alone.
    const a3 = e.facts({ template: 'a' }).find((f) => f.toString() === '(a (x 10) (y 3))');
    assert.ok(a3);
    e.retract(a3);
    e.assertString('(a (x 20) (y 4))');
    e.run();
    assert.deepEqual(factTexts(e, 'first'), ['(first 1)', '(first 10)', '(first 2)', '(first 20)']);
    assert.deepEqual(factTexts(e, 'second'), ['(second 10)', '(second 20)']);
  });

  it('a whole-multislot pattern matches once, shares the memory and keeps its tests apart', () => {
    const e = new Engine();
    e.build(`
      (deftemplate s (slot id) (multislot tags))
      (defrule all (s (id ?i) (tags $?t)) => (assert (all ?i (length$ ?t))))
      (defrule same (s (id ?i) (tags $?u)) => (assert (same ?i)))
      (defrule long (s (id ?i) (tags $?t&:(> (length$ ?t) 1))) => (assert (long ?i)))
      (defrule join (s (id ?i) (tags $?t)) (s (id ?j&~?i) (tags $?t)) => (assert (join ?i ?j)))
      (defrule seg (s (id ?i) (tags $? b $?)) => (assert (seg ?i)))
    `);
    e.assertString('(s (id 1) (tags a b))');
    e.assertString('(s (id 2) (tags a b))');
    e.assertString('(s (id 3) (tags))');
    e.run();
    assert.deepEqual(factTexts(e, 'all'), ['(all 1 2)', '(all 2 2)', '(all 3 0)']);
    assert.deepEqual(factTexts(e, 'same'), ['(same 1)', '(same 2)', '(same 3)']);
    assert.deepEqual(factTexts(e, 'long'), ['(long 1)', '(long 2)']);
    assert.deepEqual(factTexts(e, 'join'), ['(join 1 2)', '(join 2 1)']);
    assert.deepEqual(factTexts(e, 'seg'), ['(seg 1)', '(seg 2)']);
    // `all` and `same` only capture the slot: one memory; `long` tests it: one of its own.
    const shared = new Engine();
    shared.build(`
      (deftemplate s (slot id) (multislot tags))
      (defrule all (s (id ?i) (tags $?t)) => (assert (all ?i (length$ ?t))))
      (defrule same (s (id ?i) (tags $?u)) => (assert (same ?i)))
      (defrule long (s (id ?i) (tags $?t&:(> (length$ ?t) 1))) => (assert (long ?i)))
    `);
    assert.equal(entryCount(shared.assertString('(s (id 1) (tags a b))')), 2);
  });

  it('a host function cannot alter the multifield a fact shares with its matches', () => {
    const e = new Engine();
    e.registerFunction('scribble', (t) => {
      (t as unknown as string[]).push('x');
      return true;
    });
    e.build(`
      (deftemplate s (slot id) (multislot tags))
      (defrule r (s (id ?i) (tags $?t)) (test (scribble ?t)) => (assert (seen ?i ?t)))
    `);
    const f = e.assertString('(s (id 1) (tags a b))');
    e.run();
    assert.equal(f.toString(), '(s (id 1) (tags a b))');
    assert.deepEqual(factTexts(e, 'seen'), ['(seen 1 a b)']);
  });
});
