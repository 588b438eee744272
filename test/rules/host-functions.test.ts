// Host functions in isolation, including golden vectors G11 (contains-all) and G12 (list
// encoding) of fathom-dsl.md §10.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, Sym, type Value } from '../../src/engine/index.ts';
import {
  compartments,
  containsAll,
  encodeList,
  hostFunctions,
  notInList,
  overlaps,
  Ranking,
  splitList,
} from '../../src/rules/index.ts';

test('G11: contains-all is set containment', () => {
  assert.equal(containsAll('', 'a b c'), true);
  assert.equal(containsAll('a b', 'b a c'), true);
  assert.equal(containsAll('a b c', 'a b'), false);
  assert.equal(containsAll('x y', 'a b c'), false);
});

test('G12: list encoding quotes tokens with spaces and escapes quotes', () => {
  assert.equal(encodeList(['a b', 'c']), '"a b" c');
  assert.equal(encodeList(['x', 'y']), 'x y');
  assert.equal(encodeList(null), '');
  assert.equal(encodeList(undefined), '');
  assert.equal(encodeList(['say "hi"']), '"say \\"hi\\""');
});

test('encoded lists split back into the same tokens (the Python split broke quoted ones)', () => {
  for (const values of [['a b', 'c'], ['x'], ['say "hi"', 'back\\slash', ''], []]) {
    assert.deepEqual(splitList(encodeList(values)), values);
  }
  assert.equal(overlaps('"a b" c', 'b'), false, '"a b" is one token');
  assert.equal(overlaps('"a b" c', '"a b"'), true);
});

test('list functions take multifields, strings and symbols alike', () => {
  assert.equal(overlaps([Sym.of('pii'), Sym.of('hr')], 'log pii'), true);
  assert.equal(overlaps([], 'a'), false);
  assert.equal(notInList('audit', 'audit research'), false);
  assert.equal(notInList(Sym.of('marketing'), [Sym.of('audit')]), true);
  assert.equal(notInList([Sym.of('a'), Sym.of('b')], 'c d'), true);
  assert.equal(containsAll([Sym.of('a')], [Sym.of('b'), Sym.of('a')]), true);
});

test('Ranking: unknown levels rank highest and never meet or are met', () => {
  const r = new Ranking('c', ['low', 'mid', 'high']);
  assert.deepEqual(
    ['low', 'high', 'nope'].map((l) => r.rank(l)),
    [0, 2, 3],
  );
  assert.equal(r.meetsOrExceeds(Sym.of('high'), 'mid'), true, 'STRING and SYMBOL compare by text');
  assert.equal(r.meetsOrExceeds('nope', 'low'), false);
  assert.equal(r.meetsOrExceeds('high', 'nope'), false);
  assert.equal(r.meetsOrExceeds('nope', 'nope'), false);
  assert.equal(r.below('nope', 'low'), true);
  assert.equal(r.below('low', 'mid'), true);
  assert.equal(r.below('mid', 'mid'), false);
  assert.equal(r.withinScope('low', 'high'), true);
  assert.equal(r.withinScope('low', 'nope'), false);
  assert.equal(r.meetsOrExceeds(1n, 'low'), false);
});

test('compartments: multifields, | and spaces', () => {
  assert.deepEqual([...compartments('a|b c | d')], ['a', 'b', 'c', 'd']);
  assert.deepEqual([...compartments([Sym.of('x'), 'y'])], ['x', 'y']);
  assert.deepEqual([...compartments('')], []);
});

function call(engine: Engine, name: string, ...args: Value[]): Value {
  const f = engine.findFunction(name);
  if (f === undefined) throw new Error(`no function ${name}`);
  return f.impl(args, engine.functionHost);
}

const TRUE = Sym.of('TRUE');
const FALSE = Sym.of('FALSE');

function engineWithHosts(clock = () => 1000): Engine {
  const engine = new Engine({ clock });
  for (const d of hostFunctions(engine, {
    hierarchies: new Map([
      ['classification', ['unclassified', 'cui', 'confidential', 'secret', 'top-secret']],
    ]),
    classification: [{ name: 'clf', hierarchy: 'classification' }],
  }))
    engine.registerFunction(d.name, d.fn, { min: d.min, max: d.max });
  return engine;
}

test('fathom-dominates: level and compartments; unknown levels and hierarchies fail closed', () => {
  const e = engineWithHosts();
  const dom = (...a: Value[]) => call(e, 'fathom-dominates', ...a);
  assert.equal(dom('secret', '', 'cui', '', 'classification'), TRUE);
  assert.equal(dom('cui', '', 'secret', '', 'classification'), FALSE);
  assert.equal(dom('secret', 'a|b', 'secret', 'a', Sym.of('classification')), TRUE);
  assert.equal(dom('secret', 'a', 'secret', 'a b', 'classification'), FALSE);
  assert.equal(dom('top-secret', '', 'ultra', '', 'classification'), FALSE, 'unknown source level');
  assert.equal(dom('', '', '', '', 'classification'), FALSE, 'both unknown (Fathom: TRUE)');
  assert.equal(dom('secret', '', 'cui', '', 'nope'), FALSE, 'unknown hierarchy');
  assert.equal(call(e, 'clf-rank', 'ultra'), 5n);
});

test('compartment host functions', () => {
  const e = engineWithHosts();
  assert.deepEqual(call(e, 'fathom-parse-compartments', ' a | b |'), ['a', 'b']);
  assert.equal(call(e, 'fathom-has-compartment', 'a|b', ' b '), TRUE);
  assert.equal(call(e, 'fathom-has-compartment', 'a|b', ''), FALSE);
  assert.equal(call(e, 'fathom-compartments-superset', 'a b c', 'c|a'), TRUE);
  assert.equal(call(e, 'fathom-compartments-superset', 'a', 'a|z'), FALSE);
});

test('fathom-matches: search semantics and the 4096-character limit', () => {
  const e = engineWithHosts();
  assert.equal(call(e, 'fathom-matches', 'hello world', 'o w'), TRUE);
  assert.equal(call(e, 'fathom-matches', Sym.of('abc'), '^b'), FALSE);
  assert.throws(() => call(e, 'fathom-matches', 'x'.repeat(4097), 'x'), /longer than 4096/);
  assert.throws(() => call(e, 'fathom-matches', 'x', '('), /fathom-matches failed/);
});

test('fathom-changed-within uses the injected clock, never the wall clock', () => {
  let now = 1000;
  const e = engineWithHosts(() => now);
  assert.equal(call(e, 'fathom-changed-within', 995, 10n), TRUE);
  now = 2000;
  assert.equal(call(e, 'fathom-changed-within', 995, 10n), FALSE);
  assert.equal(call(e, 'fathom-changed-within', 'soon', 10n), FALSE);
  assert.equal(call(e, 'fathom-changed-within', '1995.5', 10n), TRUE);
});

test('working-memory host functions count facts; unknown templates count nothing', () => {
  const e = engineWithHosts(() => 100);
  e.build('(deftemplate ev (slot who) (slot what) (slot ts (type FLOAT)))');
  for (const [who, what, ts] of [
    ['a', 'x', 10],
    ['a', 'y', 95],
    ['b', 'x', 96],
    ['a', 'x', 97],
  ] as const)
    e.assertFact('ev', { who: Sym.of(who), what: Sym.of(what), ts });
  assert.equal(call(e, 'fathom-count-exceeds', 'ev', 'who', 'a', 2n), TRUE);
  assert.equal(call(e, 'fathom-count-exceeds', 'ev', 'who', 'a', 3n), FALSE);
  assert.equal(call(e, 'fathom-last-n', 'ev', 'who', 'b', 1n), TRUE);
  assert.equal(call(e, 'fathom-rate-exceeds', 'ev', 'who', 'a', 1n, 10n), TRUE);
  assert.equal(call(e, 'fathom-rate-exceeds', 'ev', 'who', 'a', 2n, 10n, 'ts'), FALSE);
  assert.equal(call(e, 'fathom-distinct-count', 'ev', 'who', 'what', 1n), TRUE);
  assert.equal(call(e, 'fathom-distinct-count', 'ev', 'what', 'who', 2n), FALSE);
  assert.equal(call(e, 'fathom-count-exceeds', 'nothing', 'who', 'a', 0n), FALSE);
  assert.equal(e.findTemplate('nothing', false), undefined, 'no ordered template was created');
  const seq = (events: unknown[], window: number) =>
    call(e, 'fathom-sequence-detected', JSON.stringify(events), window);
  assert.equal(
    seq(
      [
        { template: 'ev', slot: 'who', value: 'a' },
        { template: 'ev', slot: 'who', value: 'b' },
      ],
      100,
    ),
    TRUE,
  );
  assert.equal(
    seq(
      [
        { template: 'ev', slot: 'who', value: 'b' },
        { template: 'ev', slot: 'what', value: 'y' },
      ],
      100,
    ),
    FALSE,
  );
  assert.equal(
    seq(
      [
        { template: 'ev', slot: 'who', value: 'a' },
        { template: 'ev', slot: 'who', value: 'b' },
      ],
      50,
    ),
    FALSE,
  );
  assert.equal(call(e, 'fathom-sequence-detected', 'not json', 10n), FALSE);
});
