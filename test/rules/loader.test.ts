// Loading rules files: kinds, directory layout, YAML errors, unknown keys, error collection.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { discoverFiles, loadRuleDirs } from '../../src/rules/index.ts';
import { errorsOf, load, MODULES, TEMPLATES, withRules } from './helpers.ts';

const fixture = fileURLToPath(new URL('./fixtures/fathom-nautilus/', import.meta.url));

test('the documented directory layout loads unchanged, files in sorted order', () => {
  const set = loadRuleDirs([fixture]);
  assert.deepEqual(set.errors, []);
  assert.deepEqual(
    set.files.map((f) => f.slice(fixture.length)),
    [
      'templates/nautilus.yaml',
      'modules/curator.yaml',
      'modules/nautilus-routing.yaml',
      'hierarchies/classification.yaml',
      'hierarchies/cui-sub.yaml',
      'functions/classification_scope.yaml',
      'rules/classification.yaml',
      'rules/denial.yaml',
      'rules/handoff.yaml',
      'rules/routing.yaml',
      'rules/temporal.yaml',
    ],
  );
  assert.equal(set.templates.length, 8);
  assert.deepEqual(
    set.modules.map((m) => m.name),
    ['curator', 'nautilus-routing'],
  );
  assert.deepEqual(
    set.hierarchies.map((h) => h.key),
    ['classification', 'cui-sub'],
  );
  assert.deepEqual(
    set.functions.map((f) => [f.name, f.hierarchy]),
    [
      ['classification-scope', 'classification'],
      ['cui-sub-scope', 'cui-sub'],
    ],
  );
  assert.deepEqual(
    set.rulesets.map((r) => [r.ruleset, r.version, r.module.text, r.rules.length]),
    [
      ['classification', '1.0', 'nautilus-routing', 1],
      ['denial', '1.0', 'nautilus-routing', 1],
      ['handoff', '1.0', 'nautilus-routing', 1],
      ['routing', '1.0', 'nautilus-routing', 1],
      ['temporal', '1.0', 'nautilus-routing', 1],
    ],
  );
});

test('a flat directory: kinds are told by top-level keys; .clp files load too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nautilus-rules-'));
  writeFileSync(join(dir, 'a-rules.yaml'), 'module: m\nrules: []\n');
  writeFileSync(join(dir, 'b-templates.yml'), TEMPLATES);
  writeFileSync(join(dir, 'c-modules.yaml'), 'modules: [{ name: m }]\nfocus_order: [m]\n');
  writeFileSync(join(dir, 'extra.clp'), '(deffunction twice (?x) (* 2 ?x))\n');
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  mkdirSync(join(dir, 'other'));
  writeFileSync(join(dir, 'other', 'ignored.yaml'), 'templates: [oops]\n');
  const set = loadRuleDirs([dir]);
  assert.deepEqual(set.errors, []);
  assert.equal(set.rulesets.length, 1);
  assert.equal(set.templates.length, 3);
  assert.deepEqual(
    set.clpFiles.map((c) => c.path),
    [join(dir, 'extra.clp')],
  );
  assert.equal(discoverFiles(join(dir, 'a-rules.yaml')).length, 1, 'a single file is accepted');
});

test('ruleset and version default to the file stem and 1.0; version keeps its text', () => {
  const set = load({
    'x/my-rules.yaml': 'module: MAIN\nrules: []\n',
    'y/v.yaml': 'module: MAIN\nversion: 2.10\nrules: []\n',
  });
  assert.deepEqual(
    set.rulesets.map((r) => [r.ruleset, r.version]),
    [
      ['my-rules', '1.0'],
      ['v', '2.10'],
    ],
  );
});

test('YAML syntax errors and duplicate keys are located', () => {
  const errs = errorsOf({
    'a.yaml': 'templates:\n  - name: x\n    name: y\n',
    'b.yaml': 'rules: [\n',
  });
  assert.match(errs[0] as string, /^\[NAU_RULES_YAML\] a\.yaml:3:5: duplicate key$/);
  assert.match(errs[1] as string, /^\[NAU_RULES_YAML\] b\.yaml:2:1: /);
});

test('files that are not rules files', () => {
  const errs = errorsOf({ 'a.yaml': '- a\n- b\n', 'b.yaml': '', 'c.yaml': 'name: x\n' });
  assert.deepEqual(errs, [
    '[NAU_RULES_INVALID] a.yaml:1:1: expected a mapping, got a list',
    '[NAU_RULES_INVALID] b.yaml:1:1: the file is empty',
    '[NAU_RULES_INVALID] c.yaml:1:1: not a rules file: expected a top-level templates, modules, functions, rules or levels key',
  ]);
});

test('unknown keys are errors with a suggestion, at every level', () => {
  const errs = errorsOf(
    withRules(
      `
  - name: r
    salince: 5
    metadata: { a: b }
    when:
      - template: person
        alais: $p
        conditions: [ { slot: name, bind: ?n } ]
    then:
      actoin: deny
      assert: [ { template: out, slot: { who: ?n } } ]
`,
      {
        'r/extra.yaml': `${MODULES.replace('modules:', 'modules:\n  - { name: x, descripton: d }').replace('focus_order', 'focus_ordr')}`,
      },
    ),
  );
  const expected = [
    /r\/extra\.yaml:3:16: module x, modules\[0\]\.descripton: unknown key descripton \(did you mean description\?\)/,
    /r\/extra\.yaml:5:1: focus_ordr: unknown key focus_ordr \(did you mean focus_order\?\)/,
    /r\/rules\/rules\.yaml:5:5: rule r, rules\[0\]\.salince: unknown key salince \(did you mean salience\?\)/,
    /r\/rules\/rules\.yaml:6:5: rule r, rules\[0\]\.metadata: unknown key metadata \(rule metadata belongs in then\.metadata\)/,
    /r\/rules\/rules\.yaml:9:9: rule r, rules\[0\]\.when\[0\]\.alais: unknown key alais \(did you mean alias\?\)/,
    /r\/rules\/rules\.yaml:12:7: rule r, rules\[0\]\.then\.actoin: unknown key actoin \(did you mean action\?\)/,
    /r\/rules\/rules\.yaml:13:34: rule r, rules\[0\]\.then\.assert\[0\]\.slot: unknown key slot \(did you mean slots\?\)/,
  ];
  const unknown = errs.filter((e) => e.startsWith('[NAU_RULES_UNKNOWN_KEY]'));
  assert.equal(unknown.length, expected.length, errs.join('\n'));
  for (const [i, re] of expected.entries()) assert.match(unknown[i] as string, re);
});

test('every error of every file is collected, in file and line order', () => {
  const errs = errorsOf({
    'b.yaml': 'templates:\n  - name: 1bad\n    slots: []\n',
    'a.yaml': 'module: nowhere\nrules:\n  - name: r\n',
  });
  assert.deepEqual(
    errs.map((e) => e.replace(/:.*/, '')),
    [
      '[NAU_RULES_UNKNOWN_REFERENCE] a.yaml',
      '[NAU_RULES_INVALID] a.yaml',
      '[NAU_RULES_INVALID] a.yaml',
      '[NAU_RULES_INVALID] b.yaml',
      '[NAU_RULES_INVALID] b.yaml',
    ],
  );
  assert.match(
    errs.join('\n'),
    /a\.yaml:1:9: ruleset a, module: module nowhere is not declared in any modules file/,
  );
  assert.match(errs.join('\n'), /a\.yaml:3:5: rule r, rules\[0\]: missing required key when/);
  assert.match(
    errs.join('\n'),
    /b\.yaml:2:11: template 1bad, templates\[0\]\.name: template name "1bad" is not a valid name/,
  );
  assert.match(
    errs.join('\n'),
    /b\.yaml:3:12: template 1bad, templates\[0\]\.slots: a template needs at least one slot/,
  );
});

test('duplicates within and across files', () => {
  const errs = errorsOf({
    'a.yaml': `${TEMPLATES}\n  - name: out\n    slots: [ { name: x } ]\n`,
    'b.yaml': 'templates:\n  - name: doc\n    slots: [ { name: x } ]\n',
    'c.yaml': 'modules: [ { name: m }, { name: m } ]\nfocus_order: [m, m]\n',
    'd.yaml':
      'module: m\nrules:\n  - { name: r, when: [ { template: out } ], then: { action: deny } }\n  - { name: r, when: [ { template: out } ], then: { action: deny } }\n',
    'e.yaml':
      'module: m\nrules:\n  - { name: r, when: [ { template: out } ], then: { action: deny } }\n',
  }).join('\n');
  assert.match(errs, /a\.yaml:\d+:\d+: templates\[3\]: template out is defined twice in this file/);
  assert.match(errs, /b\.yaml:2:5: template doc: template doc is already defined at a\.yaml:\d+/);
  assert.match(errs, /c\.yaml:1:25: modules\[1\]: module m is declared twice in this file/);
  assert.match(errs, /c\.yaml:2:18: focus_order\[1\]: module m is listed twice in focus_order/);
  assert.match(errs, /d\.yaml:4:5: rules\[1\]: rule r is defined twice in this file/);
  assert.match(errs, /e\.yaml:3:5: rule r: rule m::r is already defined at d\.yaml:3/);
});

test('an unreadable directory is reported, the others still load', () => {
  const set = loadRuleDirs(['/nonexistent/rules', fixture]);
  assert.equal(set.errors.length, 1);
  assert.match(
    set.errors[0]?.message ?? '',
    /^\/nonexistent\/rules: cannot read \/nonexistent\/rules/,
  );
  assert.equal(set.errors[0]?.code, 'NAU_RULES_IO');
  assert.equal(set.rulesets.length, 5);
});

test('YAML anchors and aliases read as the anchored value', () => {
  const set = load({
    't.yaml':
      'templates:\n  - name: a\n    slots: &common\n      - { name: id, required: true }\n  - name: b\n    slots: *common\n',
  });
  assert.deepEqual(set.errors, []);
  assert.deepEqual(
    set.templates.map((t) => [t.name, t.slots.map((s) => s.name)]),
    [
      ['a', ['id']],
      ['b', ['id']],
    ],
  );
});
