// The right-hand side: decision facts, reason interpolation, typed asserts, evaluate().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, Sym } from '../../src/engine/index.ts';
import { evaluate, installRules } from '../../src/rules/index.ts';
import { compileOk, errorsOf, harness, ruleText, withRules } from './helpers.ts';

const personThen = (then: string, name = 'r', salience = 0) => `
  - name: ${name}
    salience: ${salience}
    when:
      - template: person
        alias: $p
        conditions:
          - { slot: name, bind: ?n }
          - { slot: tags, bind: ?tags }
    then:
${then}
`;

test('a decision fact carries action, reason, rule, log level, notify, attestation, metadata', () => {
  const c = compileOk(
    withRules(
      personThen(`      action: escalate
      reason: "{n} is a {$p.role} with tags {tags} {not a placeholder}"
      log: full
      notify: [security, "owner@x"]
      attestation: true
      metadata: { b: 2, a: "x" }`),
    ),
  );
  const engine = new Engine();
  installRules(engine, c);
  engine.reset();
  engine.assertFact('person', {
    name: 'ann',
    role: Sym.of('admin'),
    tags: [Sym.of('hr'), Sym.of('pii')],
  });
  const ev = evaluate(engine, c);
  assert.equal(ev.decision, 'escalate');
  assert.equal(ev.reason, 'ann is a admin with tags hr pii {not a placeholder}');
  assert.deepEqual(ev.metadata, { a: 'x', b: '2' });
  assert.deepEqual(
    ev.decisions.map((d) => d.rule),
    ['main-rules::r'],
  );
  assert.match(
    ruleText(c, 'r'),
    /\(log-level full\) \(notify "security" "owner@x"\) \(attestation TRUE\) \(metadata "\{\\"a\\":\\"x\\",\\"b\\":\\"2\\"\}"\)/,
  );
  assert.equal(
    engine.facts({ template: '__fathom_decision' }).length,
    0,
    'decisions are retracted',
  );
});

test('evaluate: last decision wins, default deny, trace lists every firing', () => {
  const files = withRules(
    personThen('      action: allow', 'allow-first', 10) +
      personThen('      action: deny', 'deny-later', 0) +
      personThen(`      assert: [ { template: out, slots: { who: ?n } } ]`, 'assert-only', 5),
  );
  const h = harness(files);
  h.assert('person', { name: 'ann' });
  h.assert('person', { name: 'bob' });
  const ev = evaluate(h.engine, h.compiled);
  assert.equal(ev.decision, 'deny');
  assert.deepEqual(ev.ruleTrace, [
    'main-rules::allow-first',
    'main-rules::allow-first',
    'main-rules::assert-only',
    'main-rules::assert-only',
    'main-rules::deny-later',
    'main-rules::deny-later',
  ]);
  assert.deepEqual(
    ev.decisions.map((d) => d.action),
    ['allow', 'deny'],
    'identical decision facts collapse',
  );
  assert.deepEqual(ev.moduleTrace, ['main-rules']);
  assert.equal(evaluate(h.engine, h.compiled).decision, 'deny');
  assert.equal(
    evaluate(h.engine, h.compiled, { defaultDecision: 'allow' }).reason,
    'default decision (no rule decided)',
  );
});

test('assert literals are typed for their slot; variables, $refs and expressions pass through', () => {
  const files = withRules(
    personThen(`      assert:
        - template: person
          slots: { name: "copy", role: guest, age: 42, score: 7, tags: [a, "b"], groups: "?n", level: $p.name }
        - template: out
          slots: { who: "(str-cat ?n \\"!\\")", n: "(+ 1 2)", tags: ?tags }`),
  );
  const h = harness(files);
  h.assert('person', { name: 'ann', tags: [Sym.of('x')] });
  h.run();
  const copy = h.facts('person').find((p) => p.name === 'copy');
  assert.deepEqual(copy, {
    name: 'copy',
    role: 'guest',
    age: 42,
    score: '7',
    level: 'ann',
    tags: ['a', 'b'],
    groups: 'ann',
    seen_at: '0',
  });
  assert.deepEqual(h.facts('out')[0], { who: 'ann!', what: '', n: 3, tags: ['x'] });
});

test('then errors: types, slots, required slots, variables, placeholders', () => {
  const files = withRules(
    personThen(`      reason: "{nobody} and {p.name}"
      action: deny
      scope: x
      assert:
        - template: person
          slots: { age: old, role: boss, nme: x, level: [a, b], tags: ?n }
        - template: outt
          slots: {}
        - template: out
          slots: { n: "(+ 1 ?zz)", who: ?tags }`),
  );
  const at = (line: number, col: number, path: string) => `[${line}:${col}] ${path}`;
  const errs = errorsOf(files).map((e) =>
    e.replace(
      /^\[(\w+)\] r\/rules\/rules\.yaml:(\d+):(\d+): rule r, rules\[0\]\.then/,
      (_, _code, l, c) => `[${l}:${c}] then`,
    ),
  );
  assert.deepEqual(errs, [
    `${at(13, 15, 'then.reason')}: variable ?nobody is not bound by any pattern`,
    `${at(13, 15, 'then.reason')}: reason placeholder {p.name}: write {$p.name} to read a slot of an alias`,
    `${at(15, 14, 'then.scope')}: then.scope is not supported (Fathom ignored it); assert a scope_constraint fact instead`,
    `${at(17, 11, 'then.assert[0]')}: assert of person misses required slot(s) name`,
    `${at(18, 25, 'then.assert[0].slots.age')}: expected an integer, got "old" (slot age is integer)`,
    `${at(18, 36, 'then.assert[0].slots.role')}: boss is not an allowed value of slot role (admin, user, guest)`,
    `${at(18, 47, 'then.assert[0].slots.nme')}: template person has no slot nme (did you mean name?)`,
    `${at(18, 57, 'then.assert[0].slots.level')}: slot level holds one value; a list needs a multislot`,
    `${at(19, 21, 'then.assert[1].template')}: unknown template outt (did you mean out?)`,
    `${at(22, 23, 'then.assert[2].slots.n')}: variable ?zz is not bound by any pattern (did you mean ?n?)`,
    `${at(22, 41, 'then.assert[2].slots.who')}: ?tags holds a list, but slot who holds one value`,
  ]);
});

test('a then block needs something to do', () => {
  const errs = errorsOf(withRules(personThen('      log: full')));
  assert.match(
    errs.join('\n'),
    /rules\.yaml:13:7: rule r, rules\[0\]\.then: then needs an action, assert, modify or retract/,
  );
});
