// assertFact remembers recent answers: the template a name resolved to (per engine, keyed by
// name length, dropped when the current module changes or any template is made) and, per
// template, the order the last caller gave its slot names in. These cases fail when a
// remembered answer outlives what it was derived from.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, EngineError } from '../../src/engine/index.ts';

const unknownSlot = (x: unknown) =>
  x instanceof EngineError && x.code === 'NAU_ENGINE_UNKNOWN_SLOT';

describe('assertFact template lookup', () => {
  it('tells apart names that share a cache entry', () => {
    const e = new Engine();
    // Lengths 2 and 10 (equal mod 8), and a second name of length 2.
    e.build(
      '(deftemplate ab (slot a)) (deftemplate cdefghijkl (slot c)) (deftemplate xy (slot x))',
    );
    for (let i = 0; i < 3; i++) {
      assert.equal(e.assertFact('ab', { a: i }).template.name, 'ab');
      assert.equal(e.assertFact('cdefghijkl', { c: i }).template.name, 'cdefghijkl');
      assert.equal(e.assertFact('xy', { x: i }).template.name, 'xy');
    }
    assert.throws(() => e.assertFact('xy', { a: 1 }), unknownSlot);
  });

  it('sees a redefined template', () => {
    const e = new Engine();
    e.build('(deftemplate t (slot a))');
    e.retract(e.assertFact('t', { a: 1 }));
    e.build('(deftemplate t (slot b))');
    assert.deepEqual(
      e.assertFact('t', { b: 2 }).template.slots.map((s) => s.name),
      ['b'],
    );
    assert.throws(() => e.assertFact('t', { a: 1 }), unknownSlot);
  });

  it('sees a name that became a deftemplate after an ordered fact of another name', () => {
    const e = new Engine();
    e.build('(deftemplate ab (slot a))');
    e.assertFact('ab', { a: 1 });
    // An ordered fact creates its implied template (a new template) on the way.
    assert.equal(e.assertFact('cd', { implied: [1] }).template.implied, true);
    e.build('(deftemplate ef (slot e))');
    assert.equal(e.assertFact('ef', { e: 1 }).template.implied, false);
    assert.equal(e.assertFact('ab', { a: 2 }).template.name, 'ab');
  });

  it('follows the current module', () => {
    const e = new Engine();
    e.build(`
      (defmodule MAIN (export ?ALL))
      (deftemplate MAIN::mine (slot m))
      (defmodule B (import MAIN ?ALL))
      (deftemplate B::mine (slot b))
    `);
    e.currentModule = e.moduleNamed('MAIN');
    assert.equal(e.assertFact('mine', { m: 1 }).template.module.name, 'MAIN');
    e.currentModule = e.moduleNamed('B');
    assert.equal(e.assertFact('mine', { b: 1 }).template.module.name, 'B');
    assert.equal(e.assertFact('MAIN::mine', { m: 2 }).template.module.name, 'MAIN');
    e.currentModule = e.moduleNamed('MAIN');
    assert.equal(e.assertFact('mine', { m: 3 }).template.module.name, 'MAIN');
  });

  it('forgets the templates of a cleared engine', () => {
    const e = new Engine();
    e.build('(deftemplate t (slot a))');
    e.assertFact('t', { a: 1 });
    e.clear();
    // No deftemplate any more: `t` is an ordered fact now.
    assert.throws(() => e.assertFact('t', { a: 1 }), unknownSlot);
    assert.equal(e.assertFact('t', { implied: [1] }).template.implied, true);
  });
});

describe('assertFact slot names', () => {
  it('places values by name whatever order the keys come in', () => {
    const e = new Engine();
    e.build('(deftemplate t (slot a) (slot b) (slot c))');
    const slots = (f: { slots: readonly unknown[] }) => f.slots.map(String);
    assert.deepEqual(slots(e.assertFact('t', { a: 1, b: 2, c: 3 })), ['1', '2', '3']);
    assert.deepEqual(slots(e.assertFact('t', { c: 6, b: 5, a: 4 })), ['4', '5', '6']);
    assert.deepEqual(slots(e.assertFact('t', { b: 8, a: 7 })), ['7', '8', 'nil']);
    assert.deepEqual(slots(e.assertFact('t', { a: 9, c: 10 })), ['9', 'nil', '10']);
    assert.deepEqual(slots(e.assertFact('t', { a: 11, b: 12, c: 13 })), ['11', '12', '13']);
    assert.throws(() => e.assertFact('t', { a: 1, d: 2 }), unknownSlot);
    assert.deepEqual(slots(e.assertFact('t', { a: 14, b: 15 })), ['14', '15', 'nil']);
  });

  it('ignores inherited keys', () => {
    const e = new Engine();
    e.build('(deftemplate t (slot a))');
    const proto = { a: 1, zz: 2 };
    const own = Object.create(proto) as Record<string, number>;
    own.a = 3;
    assert.deepEqual(e.assertFact('t', own).slots.map(String), ['3']);
  });
});
