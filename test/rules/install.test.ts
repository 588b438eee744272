// Installing compiled rules: engine build errors reported at the YAML line they came from,
// .clp files beside the YAML, application host functions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { checkRules, compileRules, installRules } from '../../src/rules/index.ts';
import { errorsOf, harness, load, withRules } from './helpers.ts';

const rule = (test: string) => `
  - name: r
    when:
      - template: person
        conditions:
          - { slot: name, bind: ?n }
          - { test: "${test}" }
    then:
      action: allow
`;

test('an engine build error points at the YAML line of the offending condition', () => {
  assert.deepEqual(errorsOf(withRules(rule('(no-such-fn ?n)'))), [
    '[NAU_RULES_BUILD] r/rules/rules.yaml:9:21: rule main-rules::r: unknown function no-such-fn [NAU_ENGINE_UNKNOWN_FUNCTION]',
  ]);
});

test('an error in a raw function body points at the body line', () => {
  const errs = errorsOf({
    'f.yaml':
      'functions:\n  - name: f\n    type: raw\n    body: |\n      (deffunction f (?x)\n        (+ ?x 1)\n        (nope ?x))\n',
  });
  assert.deepEqual(errs, [
    '[NAU_RULES_BUILD] f.yaml:7:9: deffunction f: unknown function nope [NAU_ENGINE_UNKNOWN_FUNCTION]',
  ]);
});

test('.clp files beside the YAML are built in MAIN after the modules, errors in place', () => {
  const files = withRules(
    `
  - name: r
    when: [ { template: person, conditions: [ { slot: name, bind: ?n } ] } ]
    then:
      assert: [ { template: out, slots: { who: "(shout ?n)" } } ]
`,
    {
      'r/helpers.clp':
        '(deffunction shout (?s) (upcase ?s))\n(defrule main-rules::clp-rule (out (who "ANN")) => (assert (out (what "seen"))))\n',
    },
  );
  const h = harness(files);
  h.assert('person', { name: 'ann' });
  h.run();
  assert.deepEqual(
    h.facts('out').map((f) => [f.who, f.what]),
    [
      ['ANN', ''],
      ['', 'seen'],
    ],
  );
  const bad = errorsOf({
    ...files,
    'r/helpers.clp':
      '(deffunction shout (?s) (upcase ?s))\n\n(defrule broken (out) => (frobnicate))\n',
  });
  assert.deepEqual(bad, [
    '[NAU_RULES_BUILD] r/helpers.clp:3:26: clp r/helpers.clp: unknown function frobnicate [NAU_ENGINE_UNKNOWN_FUNCTION]',
  ]);
});

test('installRules refuses rules with errors and throws every build failure at once', () => {
  const invalid = compileRules(load(withRules(rule('(> ?zz 1)'))));
  assert.throws(
    () => installRules(new Engine(), invalid),
    (x: unknown) =>
      x instanceof NautilusError &&
      x.code === 'NAU_RULES_INVALID' &&
      /variable \?zz is not bound/.test(x.message) &&
      Array.isArray(x.detail.errors),
  );
  const unbuildable = compileRules(
    load(withRules(rule('(f1 ?n)') + rule('(f2 ?n)').replace('name: r', 'name: r2'))),
  );
  assert.throws(
    () => installRules(new Engine(), unbuildable),
    (x: unknown) =>
      x instanceof NautilusError &&
      x.code === 'NAU_RULES_BUILD' &&
      (x.detail.errors as unknown[]).length === 2,
  );
});

test('application host functions are registered before the rules are built', () => {
  const compiled = compileRules(load(withRules(rule('(app-ok ?n)'))));
  assert.equal(
    checkRules(load(withRules(rule('(app-ok ?n)'))), { functions: { 'app-ok': () => true } }).errors
      .length,
    0,
  );
  const engine = new Engine();
  installRules(engine, compiled, { functions: { 'app-ok': (n) => n === 'ann' } });
  engine.reset();
  engine.assertFact('person', { name: 'ann' });
  engine.assertFact('person', { name: 'bob' });
  engine.focus(...compiled.focusOrder);
  assert.equal(engine.run().fired.length, 1);
});
