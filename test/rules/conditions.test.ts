// Slot conditions: every expression operator, bind, test, aliases and cross-references, both
// as emitted CLIPS and as behaviour in the engine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sym } from '../../src/engine/index.ts';
import { errorsOf, harness, ruleText, withRules } from './helpers.ts';

/** A one-pattern rule on `person` with the given conditions that asserts (out (who ?n)). */
function personRule(conditions: string): string {
  return `
  - name: r
    when:
      - template: person
        conditions:
          - { slot: name, bind: ?n }
${conditions}
    then:
      assert: [ { template: out, slots: { who: ?n } } ]
`;
}

/** Names of the persons the conditions select among a fixed population. */
function selected(conditions: string, clock?: () => number): string[] {
  const h = harness(withRules(personRule(conditions)), clock);
  h.assert('person', {
    name: 'ann',
    role: Sym.of('admin'),
    age: 40,
    score: 9.5,
    level: 'secret',
    tags: [Sym.of('pii'), Sym.of('hr')],
    groups: 'red|blue',
    seen_at: 999_990,
  });
  h.assert('person', {
    name: 'bob',
    role: Sym.of('user'),
    age: 20,
    score: 2.5,
    level: 'cui',
    tags: [Sym.of('hr')],
    groups: 'red',
    seen_at: 900_000,
  });
  h.assert('person', {
    name: 'cy',
    role: Sym.of('guest'),
    age: 30,
    score: 5.0,
    level: 'mystery',
    groups: '',
  });
  h.run();
  return h
    .facts('out')
    .map((f) => f.who as string)
    .sort();
}

const cond = (slot: string, expression: string) =>
  `          - { slot: ${slot}, expression: '${expression}' }`;

test('equals: bare words are typed for the slot (STRING, SYMBOL, INTEGER, FLOAT)', () => {
  assert.deepEqual(selected(cond('level', 'equals(secret)')), ['ann']);
  assert.deepEqual(selected(cond('level', 'equals("cui")')), ['bob']);
  assert.deepEqual(selected(cond('role', 'equals(guest)')), ['cy']);
  assert.deepEqual(selected(cond('role', 'equals("admin")')), ['ann']);
  assert.deepEqual(selected(cond('age', 'equals(20)')), ['bob']);
  assert.deepEqual(selected(cond('score', 'equals(5)')), ['cy']);
  const c = harness(withRules(personRule(cond('level', 'equals(secret)')))).compiled;
  assert.match(ruleText(c, 'r'), /\(level "secret"\)/);
});

test('equals() is the empty string', () => {
  assert.deepEqual(selected(cond('groups', 'equals()')), ['cy']);
});

test('not_equals, greater_than, less_than', () => {
  assert.deepEqual(selected(cond('level', 'not_equals(secret)')), ['bob', 'cy']);
  assert.deepEqual(selected(cond('age', 'greater_than(25)')), ['ann', 'cy']);
  assert.deepEqual(selected(cond('score', 'less_than(5)')), ['bob']);
  assert.deepEqual(selected(cond('score', 'greater_than(2)')), ['ann', 'bob', 'cy']);
});

test('in and not_in, with or without brackets', () => {
  assert.deepEqual(selected(cond('role', 'in([admin, guest])')), ['ann', 'cy']);
  assert.deepEqual(selected(cond('role', 'in(user)')), ['bob']);
  assert.deepEqual(selected(cond('level', 'not_in(["secret", cui])')), ['cy']);
  const c = harness(withRules(personRule(cond('role', 'in([admin, guest])')))).compiled;
  assert.match(ruleText(c, 'r'), /\(role admin\|guest\)/);
});

test('contains: substring on strings, membership on multislots', () => {
  assert.deepEqual(selected(cond('groups', 'contains(blue)')), ['ann']);
  assert.deepEqual(selected(cond('tags', 'contains(hr)')), ['ann', 'bob']);
  assert.deepEqual(selected(cond('tags', 'contains(pii)')), ['ann']);
});

test('matches: a regular expression search', () => {
  assert.deepEqual(selected(cond('level', 'matches("^s.c")')), ['ann']);
  assert.deepEqual(selected(cond('groups', 'matches("red$")')), ['bob']);
});

test('classification operators use the hierarchy; unknown levels fail closed', () => {
  assert.deepEqual(selected(cond('level', 'meets_or_exceeds(confidential)')), ['ann']);
  assert.deepEqual(selected(cond('level', 'below(confidential)')), ['bob', 'cy']);
  assert.deepEqual(selected(cond('level', 'within_scope(cui)')), ['ann', 'bob']);
  assert.deepEqual(selected(cond('level', 'meets_or_exceeds(cui, clf)')), ['ann', 'bob']);
  assert.deepEqual(selected(cond('level', 'meets_or_exceeds(cui, classification)')), [
    'ann',
    'bob',
  ]);
});

test('dominates passes all five arguments of fathom-dominates', () => {
  const h = harness(withRules(personRule(cond('level', 'dominates(confidential)'))));
  assert.match(
    ruleText(h.compiled, 'r'),
    /fathom-dominates \?person-level "" "confidential" "" "classification"/,
  );
  assert.deepEqual(selected(cond('level', 'dominates(confidential)')), ['ann']);
});

test('compartment operators split on | and spaces', () => {
  assert.deepEqual(selected(cond('groups', 'in_compartment(blue)')), ['ann']);
  assert.deepEqual(selected(cond('groups', 'has_compartments("red blue")')), ['ann']);
  assert.deepEqual(selected(cond('groups', 'has_compartments("red")')), ['ann', 'bob']);
});

test('changed_within reads the engine clock', () => {
  assert.deepEqual(selected(cond('seen_at', 'changed_within(60)')), ['ann']);
  assert.deepEqual(
    selected(cond('seen_at', 'changed_within(60)'), () => 2_000_000),
    [],
  );
});

test('working-memory operators count facts of a template', () => {
  const docs = (ops: string) => {
    const h = harness(withRules(personRule(ops)));
    for (const [id, owner, kind] of [
      ['d1', 'ann', 'text'],
      ['d2', 'ann', 'image'],
      ['d3', 'bob', 'text'],
    ])
      h.assert('doc', {
        id: id as string,
        owner: owner as string,
        kind: Sym.of(kind as string),
        size: 1,
      });
    h.assert('person', { name: 'ann' });
    h.run();
    return h.facts('out').length;
  };
  assert.equal(docs(cond('name', 'count_exceeds(doc, owner, ann, 1)')), 1);
  assert.equal(docs(cond('name', 'count_exceeds(doc, owner, ann, 2)')), 0);
  assert.equal(docs(cond('name', 'last_n(doc, owner, ann, 2)')), 1);
  assert.equal(docs(cond('name', 'distinct_count(doc, owner, kind, 1)')), 1);
  assert.equal(docs(cond('name', 'distinct_count(doc, kind, owner, 1)')), 1);
  assert.equal(docs(cond('name', 'distinct_count(doc, owner, id, 2)')), 0);
  assert.equal(docs(cond('name', 'rate_exceeds(doc, owner, ann, 1, 60, size)')), 0);
});

test('sequence_detected: events in order, the first within the window', () => {
  const seq = (window: number) => {
    const json = JSON.stringify([
      { template: 'doc', slot: 'owner', value: 'ann', slot_ts: 'size' },
      { template: 'doc', slot: 'owner', value: 'bob', slot_ts: 'size' },
    ]).replace(/"/g, '\\"');
    const line = `          - { slot: name, expression: 'sequence_detected("${json}", ${window})' }`;
    const h = harness(withRules(personRule(line)), () => 1000);
    h.assert('doc', { id: 'd1', owner: 'ann', size: 990 });
    h.assert('doc', { id: 'd2', owner: 'bob', size: 995 });
    h.assert('person', { name: 'ann' });
    h.run();
    return h.facts('out').length;
  };
  assert.equal(seq(60), 1);
  assert.equal(seq(5), 0);
});

test('bind + expression share one variable (Fathom emitted invalid CLIPS)', () => {
  const c = harness(
    withRules(personRule('          - { slot: age, bind: ?a, expression: "greater_than(25)" }')),
  ).compiled;
  assert.match(ruleText(c, 'r'), /\(age \?a&:\(> \?a 25\)\)/);
  assert.deepEqual(
    selected('          - { slot: age, bind: ?a, expression: "greater_than(25)" }'),
    ['ann', 'cy'],
  );
});

test('two conditions on one slot become one slot term', () => {
  const conds = `${cond('age', 'greater_than(25)')}\n${cond('age', 'less_than(35)')}`;
  assert.deepEqual(selected(conds), ['cy']);
  const c = harness(withRules(personRule(conds))).compiled;
  assert.equal(ruleText(c, 'r').match(/\(age /g)?.length, 1);
});

const twoPatterns = (second: string, then = 'assert: [ { template: out, slots: { who: ?n } } ]') =>
  withRules(`
  - name: r
    when:
      - template: person
        alias: $p
        conditions:
          - { slot: name, bind: ?n }
          - { slot: age, expression: "greater_than(0)" }
      - template: doc
        alias: $d
        conditions:
${second}
    then:
      ${then}
`);

test('slot variables are per pattern: no hidden join between patterns (Fathom shared ?s_<slot>)', () => {
  const h = harness(twoPatterns(cond('size', 'greater_than(0)')));
  assert.doesNotMatch(ruleText(h.compiled, 'r'), /\?s_/);
  h.assert('person', { name: 'ann', age: 40 });
  h.assert('doc', { id: 'x', size: 7 });
  h.run();
  assert.equal(h.facts('out').length, 1);
});

test('$alias.slot binds the referenced slot even when nothing else does', () => {
  const h = harness(twoPatterns(cond('owner', 'equals($p.name)')));
  assert.match(ruleText(h.compiled, 'r'), /\(doc \(owner \?n\)\)/);
  h.assert('person', { name: 'ann', age: 40 });
  h.assert('doc', { id: 'x', owner: 'bob' });
  h.run();
  assert.equal(h.facts('out').length, 0, 'the reference constrains, it does not bind freely');
  h.assert('doc', { id: 'y', owner: 'ann' });
  h.run();
  assert.equal(h.facts('out').length, 1);
});

test('a reference to a later pattern becomes a test CE', () => {
  const files = withRules(`
  - name: r
    when:
      - template: doc
        conditions:
          - { slot: level, expression: "equals($p.level)" }
          - { slot: id, bind: ?id }
      - template: person
        alias: $p
        conditions:
          - { slot: name, bind: ?n }
    then:
      assert: [ { template: out, slots: { who: ?n, what: ?id } } ]
`);
  const h = harness(files);
  assert.match(ruleText(h.compiled, 'r'), /\(test \(eq \?doc-level \?p-level\)\)/);
  h.assert('doc', { id: 'd1', level: 'secret' });
  h.assert('doc', { id: 'd2', level: 'cui' });
  h.assert('person', { name: 'ann', level: 'cui' });
  h.run();
  assert.deepEqual(
    h.facts('out').map((f) => f.what),
    ['d2'],
  );
});

test('Fathom-style ?alias-slot names in a test read that slot', () => {
  const h = harness(twoPatterns('          - { test: "(> ?d-size ?p-age)" }'));
  h.assert('person', { name: 'ann', age: 40 });
  h.assert('doc', { id: 'small', size: 7 });
  h.assert('doc', { id: 'big', size: 70 });
  h.run();
  assert.equal(h.facts('out').length, 1);
});

test('unaliased patterns of one template get distinct variables', () => {
  const h = harness(
    withRules(`
  - name: r
    when:
      - template: doc
        conditions: [ { slot: size, expression: "greater_than(5)" }, { slot: id, bind: ?a } ]
      - template: doc
        conditions: [ { slot: size, expression: "less_than(5)" }, { slot: id, bind: ?b } ]
    then:
      assert: [ { template: out, slots: { who: ?a, what: ?b } } ]
`),
  );
  h.assert('doc', { id: 'big', size: 9 });
  h.assert('doc', { id: 'small', size: 1 });
  h.run();
  assert.deepEqual(
    h.facts('out').map((f) => [f.who, f.what]),
    [['big', 'small']],
  );
});

test('a template with no conditions matches any fact of it', () => {
  const h = harness(twoPatterns('          []'.replace('[]', '- { slot: id, bind: ?id }')));
  h.assert('person', { name: 'ann', age: 1 });
  h.assert('doc', { id: 'a' });
  h.assert('doc', { id: 'b' });
  h.run();
  assert.equal(h.facts('out').length, 1, 'identical out facts collapse');
});

test('condition errors name the rule, the field and the line, with hints', () => {
  const errs = errorsOf(
    withRules(
      personRule(
        [
          cond('level', 'equal(secret)'),
          cond('age', 'greater_than(abc)'),
          cond('role', 'equals(admn)'),
          cond('level', 'below(secrett)'),
          cond('lvl', 'equals(x)'),
          cond('level', 'greater_than(3)'),
          cond('name', 'in([])'),
          cond('level', 'matches("(")'),
          cond('level', 'equals(?nope)'),
          cond('tags', 'not_equals(x)'),
          cond('level', 'equals(a b)'),
          `          - { slot: level, expression: "equals('x')" }`,
        ].join('\n'),
      ),
    ),
  );
  const expect = [
    /rules\.yaml:9:40: rule r, rules\[0\]\.when\[0\]\.conditions\[1\]\.expression: unknown operator equal \(did you mean equals\?\)/,
    /conditions\[2\]\.expression: expected a number, got "abc"/,
    /conditions\[3\]\.expression: admn is not an allowed value of slot role \(admin, user, guest\) \(did you mean admin\?\)/,
    /conditions\[4\]\.expression: unknown level secrett in hierarchy classification .*\(did you mean secret\?\)/,
    /conditions\[5\]\.slot: template person has no slot lvl \(did you mean level\?\)/,
    /conditions\[6\]\.expression: greater_than does not apply to string slot level/,
    /conditions\[7\]\.expression: in takes in\(\[a, b, \.\.\.\]\), got 0 argument/,
    /conditions\[8\]\.expression: bad regular expression/,
    /conditions\[9\]\.expression: variable \?nope is not bound by any pattern/,
    /conditions\[10\]\.expression: not_equals does not apply to multislot tags/,
    /conditions\[11\]\.expression: "a b" is not a single word; quote it/,
    /conditions\[12\]\.expression: use double quotes for strings/,
  ];
  assert.equal(errs.length, expect.length, errs.join('\n'));
  for (const [i, re] of expect.entries()) assert.match(errs[i] as string, re);
});

test('classification operators need an unambiguous hierarchy', () => {
  const two = withRules(personRule(cond('level', 'below(cui)')), {
    'r/functions/f.yaml': `functions:
  - { name: clf, hierarchy_ref: classification.yaml }
  - { name: other, hierarchy_ref: classification.yaml }
`,
  });
  assert.match(
    errorsOf(two).join('\n'),
    /below is ambiguous with 2 classification functions \(clf, other\); name one: below\(level, clf\)/,
  );
  const named = withRules(personRule(cond('level', 'below(cui, other)')), {
    'r/functions/f.yaml': two['r/functions/f.yaml'] as string,
  });
  assert.deepEqual(errorsOf(named), []);
  const none = withRules(personRule(cond('level', 'below(cui)')), {
    'r/functions/f.yaml': 'functions: []\n',
  });
  assert.match(errorsOf(none).join('\n'), /below needs a classification function/);
});

test('test conditions: balanced parentheses and bound variables', () => {
  const errs = errorsOf(
    withRules(
      personRule(
        [
          '          - { test: "(> (+ 1 2 3)" }',
          '          - { test: "> 1 2" }',
          '          - { test: "(> ?agee 3)" }',
          '          - { slot: name, test: "(> 1 2)" }',
        ].join('\n'),
      ),
    ),
  );
  assert.equal(errs.length, 4, errs.join('\n'));
  assert.match(errs[0] as string, /conditions\[1\]\.test: test missing "\)"/);
  assert.match(
    errs[1] as string,
    /conditions\[2\]\.test: test must be a CLIPS expression in parentheses/,
  );
  assert.match(
    errs[2] as string,
    /conditions\[3\]\.test: variable \?agee is not bound by any pattern/,
  );
  assert.match(errs[3] as string, /conditions\[4\]\.slot: a test condition takes no slot/);
});

test('condition shape errors', () => {
  const errs = errorsOf(
    withRules(
      personRule(
        [
          '          - { expression: "equals(x)" }',
          '          - { slot: name }',
          '          - { slot: name, bind: x }',
          '          - { slot: name, value: x }',
          '          - { }',
        ].join('\n'),
      ),
    ),
  );
  assert.equal(errs.length, 6, errs.join('\n'));
  assert.match(errs[0] as string, /conditions\[1\]: an expression needs a slot/);
  assert.match(errs[1] as string, /conditions\[2\]\.slot: a slot needs an expression or a bind/);
  assert.match(
    errs[2] as string,
    /conditions\[3\]\.bind: bind "x" must be a variable such as \?name/,
  );
  assert.match(errs[3] as string, /conditions\[4\]\.slot: a slot needs an expression or a bind/);
  assert.match(
    errs[4] as string,
    /\[NAU_RULES_UNKNOWN_KEY\].*conditions\[4\]\.value: unknown key value \(write the comparison as expression: "equals\(v\)"\)/,
  );
  assert.match(
    errs[5] as string,
    /conditions\[5\]: a condition needs an expression, a bind or a test/,
  );
});
