// A node's left memory keeps no list object per join key: the map holds each bucket's newest
// token and the bucket is a list through the tokens (`BetaNode.storeLeft`/`unlinkLeft`), and
// a token shows its fact (or `*`) through its entry and the node that built it
// (`Token.show`). These cases remove tokens from the middle, the newest end and the oldest
// end of buckets (single-variable, two-variable and keyless joins) and then walk the buckets
// again; the expected trace is what CLIPS 6.30 prints for the same program.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runClipsBatch } from '../../src/cli/clips-batch.ts';
import { Engine } from '../../src/engine/index.ts';

const PROGRAM = `
  (deftemplate a (slot k) (slot n))
  (deftemplate b (slot k) (slot v))
  (deftemplate c (slot k) (slot m))
  (deftemplate d (slot z))
  (defrule r (a (k ?k) (n ?n)) (not (c (k ?k) (m ?n))) (test (> ?n 0)) (b (k ?k)) =>)
  (defrule s (a (k ?k) (n ?n)) (d (z ?z)) =>)
  (watch activations)
  (assert (a (k x) (n 1)) (a (k x) (n 2)) (a (k x) (n 3)) (a (k y) (n 4)))
  (assert (b (k x) (v 1)))
  (retract 2)
  (assert (b (k x) (v 2)))
  (retract 3)
  (assert (d (z 1)))
  (assert (c (k y) (m 4)) (b (k y) (v 3)))
  (retract 1)
  (assert (b (k x) (v 4)))
  (assert (a (k x) (n 5)) (a (k x) (n 6)))
  (assert (c (k x) (m 6)))
  (retract 13)
  (assert (b (k x) (v 5)) (d (z 2)))
  (retract 12)
  (agenda)
`;

// Output of /usr/bin/clips (6.30) for PROGRAM, command echoes left out.
const CLIPS_TRACE = `==> Activation 0      r: f-3,*,f-5
==> Activation 0      r: f-2,*,f-5
==> Activation 0      r: f-1,*,f-5
<== Activation 0      r: f-2,*,f-5
==> Activation 0      r: f-3,*,f-6
==> Activation 0      r: f-1,*,f-6
<== Activation 0      r: f-3,*,f-6
<== Activation 0      r: f-3,*,f-5
==> Activation 0      s: f-4,f-7
==> Activation 0      s: f-1,f-7
<== Activation 0      r: f-1,*,f-6
<== Activation 0      r: f-1,*,f-5
<== Activation 0      s: f-1,f-7
==> Activation 0      s: f-11,f-7
==> Activation 0      r: f-11,*,f-5
==> Activation 0      r: f-11,*,f-6
==> Activation 0      r: f-11,*,f-10
==> Activation 0      s: f-12,f-7
==> Activation 0      r: f-12,*,f-5
==> Activation 0      r: f-12,*,f-6
==> Activation 0      r: f-12,*,f-10
<== Activation 0      r: f-12,*,f-10
<== Activation 0      r: f-12,*,f-6
<== Activation 0      r: f-12,*,f-5
==> Activation 0      r: f-12,*,f-5
==> Activation 0      r: f-12,*,f-6
==> Activation 0      r: f-12,*,f-10
==> Activation 0      r: f-12,*,f-14
==> Activation 0      r: f-11,*,f-14
==> Activation 0      s: f-12,f-15
==> Activation 0      s: f-11,f-15
==> Activation 0      s: f-4,f-15
<== Activation 0      r: f-12,*,f-14
<== Activation 0      r: f-12,*,f-10
<== Activation 0      r: f-12,*,f-6
<== Activation 0      r: f-12,*,f-5
<== Activation 0      s: f-12,f-15
<== Activation 0      s: f-12,f-7
0      s: f-4,f-15
0      s: f-11,f-15
0      r: f-11,*,f-14
0      r: f-11,*,f-10
0      r: f-11,*,f-6
0      r: f-11,*,f-5
0      s: f-11,f-7
0      s: f-4,f-7
For a total of 8 activations.
`;

describe('left-memory buckets', () => {
  it('walks and empties buckets as CLIPS does (watch activations, agenda)', () => {
    let out = '';
    const r = runClipsBatch(PROGRAM, { source: 'buckets.clp', write: (t) => (out += t) });
    assert.equal(r.errors, 0);
    assert.equal(out, CLIPS_TRACE);
  });

  it("reports a firing's facts even when its RHS retracted them", () => {
    const e = new Engine();
    e.build(`
      (deftemplate p (slot x))
      (deftemplate q (slot x))
      (defrule take ?f <- (p (x ?x)) (not (q (x ?x))) ?g <- (p (x ?y&:(> ?y ?x)))
        => (retract ?f ?g))
    `);
    const a = e.assertString('(p (x 1))');
    const b = e.assertString('(p (x 2))');
    const r = e.run();
    assert.deepEqual(
      r.fired.map((f) => [f.rule, f.facts]),
      [['take', [a.id, null, b.id]]],
    );
  });
});
