// Modules and focus: merged focus orders, module checks, rules running module by module.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRules } from '../../src/rules/index.ts';
import { errorsOf, harness, load, TEMPLATES } from './helpers.ts';

const rule = (module: string, name: string, salience = 0) =>
  `module: ${module}\nrules:\n  - { name: ${name}, salience: ${salience}, when: [ { template: person } ], then: { assert: [ { template: out, slots: { who: ${name} } } ] } }\n`;

test('focus orders of several files merge instead of replacing each other', () => {
  const c = compileRules(
    load({
      'm1.yaml':
        'modules: [ { name: policy }, { name: routing } ]\nfocus_order: [policy, routing]\n',
      'm2.yaml': 'modules: [ { name: audit }, { name: pre } ]\nfocus_order: [pre, policy, audit]\n',
      'm3.yaml': 'focus_order: [routing, audit]\n',
    }),
  );
  assert.deepEqual(c.errors, []);
  assert.deepEqual(c.focusOrder, ['pre', 'policy', 'routing', 'audit']);
});

test('modules run in focus order, whatever the salience; MAIN runs last', () => {
  const h = harness({
    't.yaml': TEMPLATES,
    'm.yaml': 'modules: [ { name: first }, { name: second } ]\nfocus_order: [first, second]\n',
    'a.yaml': rule('second', 'in-second', 100),
    'b.yaml': rule('first', 'in-first', -100),
    'c.yaml': rule('MAIN', 'in-main', 1000),
  });
  h.assert('person', { name: 'x' });
  assert.deepEqual(h.run(), ['in-first', 'in-second', 'in-main']);
});

test('contradicting focus orders and unfocused modules are errors', () => {
  const errs = errorsOf({
    't.yaml': TEMPLATES,
    'm1.yaml': 'modules: [ { name: a }, { name: b }, { name: c } ]\nfocus_order: [a, b]\n',
    'm2.yaml': 'focus_order: [b, a, nope]\n',
    'r.yaml': rule('c', 'lonely'),
  });
  assert.deepEqual(errs, [
    '[NAU_RULES_FOCUS] m2.yaml:1:14: focus_order: the focus_order lists contradict each other for modules a, b',
    '[NAU_RULES_UNKNOWN_REFERENCE] m2.yaml:1:21: focus_order: focus_order names undeclared module nope',
    '[NAU_RULES_FOCUS] r.yaml:1:9: module: module c has rules but is in no focus_order, so they would never fire',
  ]);
});

test('module names: MAIN is implicit, undeclared modules get a hint', () => {
  const errs = errorsOf({
    't.yaml': TEMPLATES,
    'm.yaml':
      'modules: [ { name: MAIN }, { name: policy, priority: high } ]\nfocus_order: [policy]\n',
    'r.yaml': rule('polcy', 'x'),
  });
  assert.deepEqual(errs, [
    '[NAU_RULES_INVALID] m.yaml:1:20: module MAIN, modules[0].name: module MAIN always exists and cannot be declared',
    '[NAU_RULES_INVALID] m.yaml:1:54: module policy, modules[1].priority: expected an integer, got the string "high"',
    '[NAU_RULES_UNKNOWN_REFERENCE] r.yaml:1:9: ruleset r, module: module polcy is not declared in any modules file (did you mean policy?)',
  ]);
});
