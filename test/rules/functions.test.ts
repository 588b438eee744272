// Functions: classification hierarchies (hierarchy_ref resolution, generated host functions)
// and raw deffunctions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, FALSE, TRUE } from '../../src/engine/index.ts';
import { compileRules, installRules } from '../../src/rules/index.ts';
import { compileOk, errorsOf, HIERARCHY, harness, load, TEMPLATES } from './helpers.ts';

/** Evaluates a CLIPS expression through a rule and returns what it printed. */
function evalIn(files: Record<string, string>, expr: string): string {
  const h = harness({
    ...files,
    'x/t.yaml': TEMPLATES,
    'x/m.yaml': 'modules: [ { name: m } ]\nfocus_order: [m]\n',
    'x/r.yaml': `module: m\nrules:\n  - { name: r, when: [ { template: person } ], then: { assert: [ { template: out, slots: { what: '(str-cat ${expr.replace(/'/g, "''")})' } } ] } }\n`,
  });
  h.assert('person', { name: 'p' });
  h.run();
  return h.facts('out')[0]?.what as string;
}

test('hierarchy_ref resolves beside the file, in hierarchies/ and in ../hierarchies/', () => {
  for (const [fnFile, hFile] of [
    ['d/functions/f.yaml', 'd/functions/classification.yaml'],
    ['d/functions/f.yaml', 'd/functions/hierarchies/classification.yaml'],
    ['d/functions/f.yaml', 'd/hierarchies/classification.yaml'],
  ] as const) {
    const set = load({
      [fnFile]: 'functions: [ { name: clf, hierarchy_ref: classification.yaml } ]\n',
      [hFile]: HIERARCHY,
    });
    assert.deepEqual(set.errors, [], hFile);
    assert.equal(set.functions[0]?.hierarchy, 'classification');
  }
});

test('a hierarchy_ref that resolves nowhere is reported with the places looked at', () => {
  const errs = errorsOf({
    'd/functions/f.yaml': 'functions: [ { name: clf, hierarchy_ref: levels.yaml } ]\n',
  });
  assert.equal(errs.length, 1);
  assert.match(
    errs[0] as string,
    /d\/functions\/f\.yaml:1:42: function clf, functions\[0\]\.hierarchy_ref: hierarchy_ref levels\.yaml not found \(looked for d\/functions\/levels\.yaml, d\/functions\/hierarchies\/levels\.yaml, d\/hierarchies\/levels\.yaml\)/,
  );
});

test('classification functions: <name>-rank/-below/-meets-or-exceeds/-within-scope, fail closed', () => {
  const files = {
    'h/hierarchies/classification.yaml': HIERARCHY,
    'h/functions/f.yaml': 'functions: [ { name: clf, hierarchy_ref: classification.yaml } ]\n',
  };
  assert.equal(evalIn(files, '(clf-rank secret) (clf-rank "cui") (clf-rank bogus)'), '315');
  assert.equal(
    evalIn(
      files,
      '(clf-below cui secret) (clf-below secret cui) (clf-below bogus cui) (clf-below cui bogus)',
    ),
    'TRUEFALSETRUETRUE',
  );
  assert.equal(
    evalIn(files, '(clf-meets-or-exceeds secret "secret") (clf-meets-or-exceeds bogus cui)'),
    'TRUEFALSE',
  );
  assert.equal(
    evalIn(files, '(clf-within-scope cui secret) (clf-within-scope cui bogus)'),
    'TRUEFALSE',
  );
  assert.equal(
    evalIn(files, '(below cui secret) (meets-or-exceeds top-secret cui) (within-scope a b)'),
    'TRUETRUEFALSE',
  );
});

test('with two classification functions there are no unprefixed shims', () => {
  const c = compileOk({
    'h/hierarchies/classification.yaml': HIERARCHY,
    'h/hierarchies/cui-sub.yaml': 'name: cui-sub\nlevels: [cui, cui-sp]\n',
    'h/functions/f.yaml':
      'functions:\n  - { name: a, hierarchy_ref: classification.yaml }\n  - { name: b, hierarchy_ref: cui-sub.yaml }\n',
  });
  const engine = new Engine();
  installRules(engine, c);
  assert.notEqual(engine.findFunction('a-below'), undefined);
  assert.notEqual(engine.findFunction('b-rank'), undefined);
  assert.equal(engine.findFunction('below'), undefined);
});

test('hierarchy levels may be {name, rank} objects; every hierarchies/ file is registered', () => {
  const files = {
    'h/hierarchies/cui-sub-extended.yaml':
      'name: cui-sub-extended\nlevels:\n  - { name: les, rank: 60 }\n  - { name: public, rank: 0 }\n  - { name: cui-basic, rank: 10 }\n',
  };
  const set = load(files);
  assert.deepEqual(set.hierarchies[0]?.levels, ['public', 'cui-basic', 'les']);
  assert.equal(
    evalIn(
      files,
      '(fathom-dominates les "" cui-basic "" cui-sub-extended) (fathom-dominates public "" les "" cui-sub-extended)',
    ),
    'TRUEFALSE',
  );
});

test('raw functions are deffunctions in MAIN, callable from every module', () => {
  const files = {
    'h/functions/f.yaml': `functions:
  - name: twice
    type: raw
    params: [x]
    body: |
      (deffunction twice (?x)
        (* 2 ?x))
`,
  };
  assert.match(compileOk(files).text, /\(deffunction MAIN::twice \(\?x\)/);
  assert.equal(evalIn(files, '(twice 21)'), '42');
});

test('function errors', () => {
  const errs = errorsOf({
    'h/hierarchies/classification.yaml': HIERARCHY,
    'h/functions/f.yaml': `functions:
  - { name: fathom-x, hierarchy_ref: classification.yaml }
  - { name: a, type: raw, body: "(deffunction b () 1)" }
  - { name: c, type: raw, body: "(deffunction c () 1" }
  - { name: d, type: raw, body: "(+ 1 2)" }
  - { name: e, type: raw }
  - { name: f, type: classification, body: "(x)", hierarchy_ref: classification.yaml }
  - { name: g, type: magic }
`,
    'h/hierarchies/bad.yaml': 'name: bad\nlevels: [a, a, "b c"]\nextra: 1\n',
  });
  const expected = [
    /f\.yaml:2:13: function fathom-x, functions\[0\]\.name: the prefix fathom- is reserved for host functions/,
    /f\.yaml:3:33: function a, functions\[1\]\.body: body defines b, but the function is named a/,
    /f\.yaml:4:33: function c, functions\[2\]\.body: missing "\)" in the body/,
    /f\.yaml:5:33: function d, functions\[3\]\.body: body must be a complete \(deffunction \.\.\.\) construct/,
    /f\.yaml:6:5: function e, functions\[4\]: missing required key body/,
    /f\.yaml:7:44: function f, functions\[5\]\.body: body is only used by raw functions/,
    /f\.yaml:8:22: function g, functions\[6\]\.type: type must be one of classification, raw, got "magic"/,
    /bad\.yaml:2:13: hierarchy bad, levels\[1\]: level a is listed twice/,
    /bad\.yaml:2:16: hierarchy bad, levels\[2\]: level "b c" must be a non-empty word without spaces/,
    /bad\.yaml:3:1: hierarchy bad, extra: unknown key extra/,
  ];
  assert.equal(errs.length, expected.length, errs.join('\n'));
  for (const [i, re] of expected.entries()) assert.match(errs[i] as string, re);
});

test('the host functions are registered before the constructs are built', () => {
  const c = compileRules(
    load({
      'h/functions/f.yaml':
        'functions:\n  - { name: uses, type: raw, body: "(deffunction uses (?a ?b) (overlaps ?a ?b))" }\n',
    }),
  );
  const engine = new Engine();
  installRules(engine, c);
  assert.equal(engine.findFunction('uses')?.impl([['a', 'b'], 'b c'], engine.functionHost), TRUE);
  assert.equal(engine.findFunction('uses')?.impl(['a', 'c'], engine.functionHost), FALSE);
});
