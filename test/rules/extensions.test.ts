// Extensions beyond the Python DSL: multislots, not/exists patterns, retract and modify.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sym } from '../../src/engine/index.ts';
import { errorsOf, harness, ruleText, withRules } from './helpers.ts';

test('not: fires while no matching fact exists, joining on bound variables', () => {
  const h = harness(
    withRules(`
  - name: lonely
    when:
      - template: person
        conditions: [ { slot: name, bind: ?n } ]
      - not:
          template: doc
          conditions:
            - { slot: owner, bind: ?n }
            - { slot: size, expression: "greater_than(10)" }
    then:
      assert: [ { template: out, slots: { who: ?n } } ]
`),
  );
  assert.match(
    ruleText(h.compiled, 'lonely'),
    /\(not \(doc \(owner \?n\) \(size \?doc-size&:\(> \?doc-size 10\)\)\)\)/,
  );
  h.assert('person', { name: 'ann' });
  h.assert('person', { name: 'bob' });
  h.assert('doc', { id: 'd', owner: 'ann', size: 50 });
  h.assert('doc', { id: 'e', owner: 'bob', size: 5 });
  h.run();
  assert.deepEqual(
    h.facts('out').map((f) => f.who),
    ['bob'],
  );
});

test('exists: fires once however many facts match', () => {
  const h = harness(
    withRules(`
  - name: has-docs
    when:
      - template: person
        conditions: [ { slot: name, bind: ?n } ]
      - exists:
          template: doc
          conditions: [ { slot: owner, bind: ?n } ]
    then:
      assert: [ { template: out, slots: { who: ?n, n: 1 } } ]
`),
  );
  h.assert('person', { name: 'ann' });
  h.assert('doc', { id: 'a', owner: 'ann' });
  h.assert('doc', { id: 'b', owner: 'ann' });
  assert.deepEqual(h.run(), ['has-docs']);
});

test('retract and modify act on aliased facts', () => {
  const h = harness(
    withRules(`
  - name: birthday
    when:
      - template: person
        alias: $p
        conditions:
          - { slot: age, bind: ?age, expression: "less_than(3)" }
          - { slot: tags, bind: ?tags }
    then:
      modify:
        - alias: $p
          slots: { age: "(+ ?age 1)", tags: "(create$ ?tags older)" }
  - name: forget
    salience: -1
    when:
      - template: doc
        alias: $d
      - template: doc
        alias: $e
        conditions: [ { slot: owner, expression: "equals($d.owner)" }, { slot: id, expression: "not_equals($d.id)" } ]
    then:
      retract: [$d, $e]
`),
  );
  h.assert('person', { name: 'ann', age: 1 });
  h.assert('doc', { id: 'a', owner: 'x' });
  h.assert('doc', { id: 'b', owner: 'x' });
  h.assert('doc', { id: 'c', owner: 'y' });
  h.run();
  assert.deepEqual(
    h.facts('person').map((p) => [p.age, p.tags]),
    [[3, ['older', 'older']]],
  );
  assert.deepEqual(
    h.facts('doc').map((d) => d.id),
    ['c'],
  );
});

test('multislots: bind as $?var, equals a list, contains, lists on the RHS', () => {
  const h = harness(
    withRules(`
  - name: tagged
    when:
      - template: person
        conditions:
          - { slot: name, bind: ?n }
          - { slot: tags, bind: ?t, expression: "contains(pii)" }
      - template: person
        conditions:
          - { slot: tags, expression: "equals([hr, pii])" }
          - { slot: name, expression: "not_equals(?n)" }
    then:
      assert: [ { template: out, slots: { who: ?n, tags: ?t } } ]
`),
  );
  assert.match(ruleText(h.compiled, 'tagged'), /\(tags \$\?t&:\(member\$ pii \?t\)\)/);
  assert.match(ruleText(h.compiled, 'tagged'), /\(tags hr pii\)/);
  h.assert('person', { name: 'ann', tags: [Sym.of('pii')] });
  h.assert('person', { name: 'bob', tags: [Sym.of('hr'), Sym.of('pii')] });
  h.run();
  assert.deepEqual(h.facts('out'), [{ who: 'ann', what: '', n: 0, tags: ['pii'] }]);
});

test('extension errors: locals of not/exists, aliases, tests inside negation, double changes', () => {
  const errs = errorsOf(
    withRules(`
  - name: r
    when:
      - exists:
          template: doc
          conditions: [ { slot: owner, bind: ?o } ]
      - not:
          template: doc
          alias: $x
          conditions: [ { test: "(> 1 0)" }, { slot: size, expression: "greater_than(?later)" } ]
      - template: person
        alias: $p
        conditions: [ { slot: name, bind: ?later } ]
    then:
      assert: [ { template: out, slots: { who: ?o } } ]
      modify: [ { alias: $p, slots: { age: 1 } }, { alias: $p, slots: { age: 2 } } ]
      retract: [$q, $p]
`),
  ).map((e) => e.replace(/^.*?rules\.yaml:/, ''));
  assert.deepEqual(errs, [
    '11:11: rule r, rules[0].when[1].not.alias: unknown key alias (a not pattern matches no single fact, so it takes no alias); allowed keys: template, conditions',
    '12:33: rule r, rules[0].when[1].not.conditions[0].test: a test cannot sit inside a not pattern; use an expression on a slot',
    '12:72: rule r, rules[0].when[1].not.conditions[1].expression: in a not pattern, ?later must be bound by an earlier pattern',
    '17:48: rule r, rules[0].then.assert[0].slots.who: ?o is bound only inside an exists pattern and cannot be used here',
    '18:60: rule r, rules[0].then.modify[1].alias: $p is already modified or retracted by this rule',
    '19:17: rule r, rules[0].then.retract[0]: unknown alias $q (did you mean $p?)',
    '19:21: rule r, rules[0].then.retract[1]: $p is already modified or retracted by this rule',
  ]);
});

test('a variable named like an alias fact or alias slot is refused', () => {
  const errs = errorsOf(
    withRules(`
  - name: r
    when:
      - template: person
        alias: $p
        conditions: [ { slot: name, bind: ?p }, { slot: level, bind: ?p-age } ]
    then:
      retract: [$p]
`),
  );
  assert.equal(errs.length, 2, errs.join('\n'));
  assert.match(errs[0] as string, /variable \?p clashes with the fact of alias \$p/);
  assert.match(errs[1] as string, /variable \?p-age clashes with the variable of \$p\.age/);
});
