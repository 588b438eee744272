// Templates: compiled deftemplates, typed defaults and allowed values, required slots.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine, Sym } from '../../src/engine/index.ts';
import { compileRules, installRules } from '../../src/rules/index.ts';
import { compileOk, errorsOf, load } from './helpers.ts';

const templates = (slots: string) => ({
  't.yaml': `templates:\n  - name: thing\n    description: A thing\n    slots:\n${slots}`,
});

const unitText = (slots: string) => {
  const c = compileOk(templates(slots));
  return c.units.find((u) => u.name === 'thing')?.text ?? '';
};

test('each slot type, allowed values and default compile to CLIPS', () => {
  assert.equal(
    unitText(`      - { name: s, type: string, allowed_values: [a, "b c"], default: a }
      - { name: y, type: symbol, allowed_values: [low, high], default: high }
      - { name: i, type: integer, allowed_values: [1, 2], default: 2 }
      - { name: f, type: float, default: 1 }
      - { name: m, type: symbol, multislot: true, default: [x, y] }
      - { name: r, type: string, required: true }
      - { name: untyped }
`),
    [
      '(deftemplate MAIN::thing "A thing"',
      '  (slot s (type STRING) (allowed-strings "a" "b c") (default "a"))',
      '  (slot y (type SYMBOL) (allowed-symbols low high) (default high))',
      '  (slot i (type INTEGER) (allowed-integers 1 2) (default 2))',
      '  (slot f (type FLOAT) (default 1.0))',
      '  (multislot m (type SYMBOL) (default x y))',
      '  (slot r (type STRING) (default ?NONE))',
      '  (slot untyped (type STRING)))',
    ].join('\n'),
  );
});

test('a required slot is enforced by the engine; defaults fill the others', () => {
  const c = compileOk(
    templates(
      '      - { name: r, type: string, required: true }\n      - { name: n, type: integer, default: 7 }\n',
    ),
  );
  const engine = new Engine();
  installRules(engine, c);
  assert.throws(
    () => engine.assertFact('thing', { n: 1 }),
    /slot r of template thing has no default/,
  );
  assert.equal(engine.assertFact('thing', { r: 'x' }).toString(), '(thing (r "x") (n 7))');
});

test('template options: ttl and scope are kept for the runtime', () => {
  const set = load({
    't.yaml': 'templates:\n  - { name: a, ttl: 60, scope: fleet, slots: [ { name: x } ] }\n',
  });
  assert.deepEqual(set.errors, []);
  assert.equal(set.templates[0]?.ttl, 60);
  assert.equal(set.templates[0]?.scope, 'fleet');
});

test('template errors', () => {
  const errs = errorsOf({
    't.yaml': `templates:
  - name: __fathom_decision
    slots: [ { name: x } ]
  - name: a
    ttl: -1
    scope: galaxy
    slots:
      - { name: x, type: str }
      - { name: i, type: integer, default: abc }
      - { name: i }
      - { name: y, type: symbol, allowed_values: [a, b], default: c }
      - { name: z, type: integer, allowed_values: [] }
      - { name: w, required: yes }
      - { name: "bad name" }
`,
  });
  const expected = [
    /t\.yaml:2:11: template __fathom_decision, templates\[0\]\.name: template name __fathom_decision is reserved/,
    /t\.yaml:5:10: template a, templates\[1\]\.ttl: ttl must be positive/,
    /t\.yaml:6:12: template a, templates\[1\]\.scope: scope must be one of session, fleet, got "galaxy"/,
    /t\.yaml:8:26: template a, templates\[1\]\.slots\[0\]\.type: type must be one of string, symbol, integer, float, got "str" \(did you mean string\?\)/,
    /t\.yaml:9:44: template a, templates\[1\]\.slots\[1\]\.default: "abc" is not a valid integer/,
    /t\.yaml:10:9: template a, templates\[1\]\.slots\[2\]: slot i is defined twice/,
    /t\.yaml:11:67: template a, templates\[1\]\.slots\[3\]\.default: default c is not one of the allowed_values/,
    /t\.yaml:12:51: template a, templates\[1\]\.slots\[4\]\.allowed_values: allowed_values must not be empty/,
    /t\.yaml:13:30: template a, templates\[1\]\.slots\[5\]\.required: expected true or false, got the string "yes"/,
    /t\.yaml:14:17: template a, templates\[1\]\.slots\[6\]\.name: slot name "bad name" is not a valid name/,
  ];
  assert.equal(errs.length, expected.length, errs.join('\n'));
  for (const [i, re] of expected.entries()) assert.match(errs[i] as string, re);
});

test('a symbol allowed value CLIPS cannot read is a compile error', () => {
  const c = compileRules(
    load(templates('      - { name: op, type: symbol, allowed_values: ["=", "<"] }\n')),
  );
  assert.match(
    c.errors[0]?.message ?? '',
    /template thing, slot op: allowed value = cannot be written as a CLIPS symbol/,
  );
});

test('symbol slots accept symbols from the API', () => {
  const c = compileOk(
    templates('      - { name: y, type: symbol, allowed_values: [low, high] }\n'),
  );
  const engine = new Engine();
  installRules(engine, c);
  assert.equal(engine.assertFact('thing', { y: 'high' }).get('y'), Sym.of('high'));
});
