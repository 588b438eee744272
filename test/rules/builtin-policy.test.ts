// The built-in policy against its cases file (rules/builtin/tests/cases.yaml), through the
// library and through `nautilus rules test`, plus the checks that keep that file honest: every
// built-in rule is shown firing and not firing, and every rule names itself in its outputs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatCasesRun, runPolicyCases } from '../../src/broker/policy-cases/index.ts';
import { SESSION_TEMPLATES } from '../../src/broker/policy-engine.ts';
import { checkRuleDirs, discoverFiles, readCasesFile } from '../../src/rules/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BUILTIN = join(root, 'rules/builtin');
const CASES = join(root, 'rules/builtin/tests/cases.yaml');

function nautilus(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('every case of the built-in cases file passes (library)', () => {
  const run = runPolicyCases([BUILTIN], CASES);
  assert.deepEqual(run.errors, [], formatCasesRun(run));
  assert.ok(run.results.length >= 40, `only ${run.results.length} cases`);
  assert.equal(run.failed, 0, formatCasesRun(run));
  assert.equal(run.passed, run.results.length);
});

test('nautilus rules test passes the built-in cases file (CLI)', () => {
  const r = nautilus('rules', 'test', 'rules/builtin', '--cases', 'rules/builtin/tests/cases.yaml');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0] as string, /^ok +1 {2}a source whose data types overlap/);
  assert.match(
    lines.at(-1) as string,
    /^(\d+) case\(s\): \1 ok, 0 failed \(rules\/builtin\/tests\/cases\.yaml\)$/,
  );
  assert.ok(!r.stdout.includes('FAIL'));
});

test('a wrong expectation fails with exit code 1, the difference and the rule trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nautilus-builtin-cases-'));
  const text = readFileSync(CASES, 'utf8').replace(
    '      routed: [vulns]\n      skipped: [crm, tickets, badges]',
    '      routed: [vulns, hr]\n      skipped: [crm, tickets, badges]',
  );
  assert.notEqual(text, readFileSync(CASES, 'utf8'), 'the case to break was not found');
  const file = join(dir, 'cases.yaml');
  writeFileSync(file, text);
  const r = nautilus('rules', 'test', 'rules/builtin', '--cases', file);
  assert.equal(r.status, 1, r.stderr);
  const out = r.stdout;
  assert.match(
    out,
    /^FAIL +1 {2}a source whose data types overlap the intent's is routed, the unrelated ones skipped {2}\(.*cases\.yaml:\d+:\d+\)$/m,
  );
  assert.match(out, /^ {8}routed: expected \[hr, vulns\], got \[vulns\] \(missing hr\)$/m);
  assert.match(
    out,
    /^ {10}denied +hr +policy::deny-above-clearance: classification confidential is above the agent's clearance cui$/m,
  );
  assert.match(out, /rule trace \(in firing order; - is a not\/exists pattern\):/);
  // Trace lines carry the phase, the rule and the fact ids it matched; the facts are listed.
  assert.match(out, /^ +\d+ +request +policy::deny-above-clearance +f-\d+ f-\d+ f-\d+$/m);
  assert.match(out, /^ +\d+ +request +routing::route-by-data-type +f-\d+ f-\d+ - -$/m);
  assert.match(
    out,
    /^ {10}f-\d+ +\(source \(id "hr"\) \(type sqlite\) \(classification confidential\)/m,
  );
  assert.match(
    out,
    /^ {10}f-\d+ +\(request \(request_id "r1"\) \(session_id ""\) \(agent_id "analyst"\)/m,
  );
  // The other cases still pass, and only the failing one prints its trace.
  assert.match(out, /^ok +2 {2}an intent no source serves routes nothing$/m);
  assert.equal(out.match(/rule trace/g)?.length, 1);
  assert.match(out.trim().split('\n').at(-1) as string, /^\d+ case\(s\): \d+ ok, 1 failed/);
});

test('every built-in rule is shown firing and not firing by the cases file', () => {
  const { compiled, errors } = checkRuleDirs([BUILTIN]);
  assert.deepEqual(errors, []);
  const rules = compiled.rules.map((r) => `${r.module}::${r.name}`);
  const file = readCasesFile(CASES, {
    templates: compiled.templates,
    rules,
    sessionTemplates: SESSION_TEMPLATES,
  });
  assert.deepEqual(file.errors, []);
  const firing = new Set<string>();
  const notFiring = new Set<string>();
  for (const c of file.cases) {
    for (const r of c.expect.fired ?? []) firing.add(r);
    for (const d of c.expect.denied ?? []) if (d.rule !== undefined) firing.add(d.rule);
    for (const r of c.expect.notFired ?? []) notFiring.add(r);
  }
  assert.deepEqual(
    rules.filter((r) => !firing.has(r)),
    [],
    'rules no case shows firing (fired: or denied: rule:)',
  );
  assert.deepEqual(
    rules.filter((r) => !notFiring.has(r)),
    [],
    'rules no case shows not firing (not_fired:)',
  );
});

test('every built-in rule that records its name records its own module::name', () => {
  const { set } = checkRuleDirs([BUILTIN]);
  const wrong: string[] = [];
  let named = 0;
  for (const rs of set.rulesets) {
    for (const rule of rs.rules) {
      for (const a of rule.then.asserts) {
        const slot = a.slots.find((s) => s.slot === 'rule');
        if (slot === undefined) continue;
        named++;
        const own = `${rs.module.text}::${rule.name}`;
        if (slot.value !== own)
          wrong.push(`${own} asserts ${a.template.text} with rule ${String(slot.value)}`);
      }
    }
  }
  assert.ok(named >= 15, `only ${named} asserts name their rule`);
  assert.deepEqual(wrong, []);
});

test('the tests/ directory of a rules directory is not loaded as rules', () => {
  const files = discoverFiles(BUILTIN).map((f) => relative(BUILTIN, f));
  assert.ok(files.includes(join('rules', 'exposure.yaml')));
  assert.deepEqual(
    files.filter((f) => f.startsWith('tests')),
    [],
  );
  assert.ok(!checkRuleDirs([BUILTIN]).set.files.some((f) => f.includes('/tests/')));
});
