// assertFact converts and checks JS slot values with per-slot conversion flags and type bits
// computed once per template; values the fast check cannot vouch for go through the full
// constraint check. These cases fail when the fast path accepts a value the constraints reject
// or converts differently from `toValue`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, EngineError, Sym, toValue } from '../../src/engine/index.ts';

function engine(): Engine {
  const e = new Engine();
  e.build(`
    (deftemplate t
      (slot s (type STRING))
      (slot y (type SYMBOL))
      (slot lex (type LEXEME))
      (slot i (type INTEGER))
      (slot f (type FLOAT))
      (slot num (type NUMBER))
      (slot any)
      (slot color (type SYMBOL) (allowed-symbols red green))
      (multislot tags (type SYMBOL))
      (multislot mixed))
  `);
  return e;
}

const slotError = (message: RegExp) => (x: unknown) =>
  x instanceof EngineError && x.code === 'NAU_ENGINE_SLOT_TYPE' && message.test(x.message);

describe('assertFact slot values', () => {
  it('converts strings and numbers by the slot types', () => {
    const e = engine();
    const f = e.assertFact('t', {
      s: 'a',
      y: 'b',
      lex: 'c',
      i: 3,
      f: 4,
      num: 5,
      any: 6.5,
      color: 'red',
      tags: ['p', 'q'],
      mixed: ['m', 1, 2.5, true, null],
    });
    assert.equal(
      f.toString(),
      '(t (s "a") (y b) (lex "c") (i 3) (f 4.0) (num 5) (any 6.5) (color red) (tags p q) (mixed "m" 1 2.5 TRUE nil))',
    );
    const slot = e.facts({ template: 't' })[0]?.template.slots[1] ?? null;
    assert.equal(toValue('b', slot, 't.y'), Sym.of('b'));
  });

  it('rejects values of types a slot does not allow, naming the first bad slot', () => {
    const e = engine();
    assert.throws(() => e.assertFact('t', { i: 'x' }), slotError(/"x" of type STRING .* slot i/));
    assert.throws(
      () => e.assertFact('t', { y: 1, i: 'x' }),
      slotError(/1 of type INTEGER .* slot y/),
    );
    assert.throws(() => e.assertFact('t', { f: 'x' }), slotError(/slot f/));
    assert.throws(
      () => e.assertFact('t', { tags: ['ok', 2] }),
      slotError(/2 of type INTEGER .* slot tags/),
    );
    assert.throws(() => e.assertFact('t', { s: ['a'] }), slotError(/needs a single value/));
    assert.throws(() => e.assertFact('t', { tags: 'a' }), slotError(/needs a multifield/));
    assert.equal(e.factCount, 1);
  });

  it('checks allowed values', () => {
    const e = engine();
    assert.throws(() => e.assertFact('t', { color: 'blue' }), slotError(/blue is not among/));
    assert.equal(e.assertFact('t', { color: 'green' }).get('color'), Sym.of('green'));
  });

  it('resolves template names from the current module, its imports, or a module prefix', () => {
    const e = new Engine();
    e.build(`
      (defmodule MAIN (export ?ALL))
      (deftemplate MAIN::shared (slot x))
      (deftemplate MAIN::mine (slot m))
      (defmodule B (import MAIN ?ALL))
      (deftemplate B::mine (slot b))
    `);
    e.currentModule = e.moduleNamed('B');
    assert.equal(e.assertFact('mine', { b: 1 }).template.module.name, 'B');
    assert.equal(e.assertFact('shared', { x: 1 }).template.module.name, 'MAIN');
    assert.equal(e.assertFact('MAIN::mine', { m: 1 }).template.module.name, 'MAIN');
    e.currentModule = e.moduleNamed('MAIN');
    assert.equal(e.assertFact('mine', { m: 2 }).template.module.name, 'MAIN');
    assert.throws(() => e.assertFact('mine', { b: 2 }), /has no slot b/);
  });

  it('reports an unknown slot before any bad value', () => {
    const e = engine();
    assert.throws(
      () => e.assertFact('t', { i: 'x', nope: 1 }),
      (x: unknown) => x instanceof EngineError && x.code === 'NAU_ENGINE_UNKNOWN_SLOT',
    );
  });
});
