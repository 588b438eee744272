// `nautilus rules test` exit codes and output beyond the built-in cases file
// (test/rules/builtin-policy.test.ts runs that one): 2 for input that cannot be used, --verbose.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function nautilus(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

const CASES = `
defaults:
  facts:
    - source: { id: vulns, type: sqlite, classification: cui, data_types: [vulnerability] }
    - agent: { id: a1, clearance: cui }
cases:
  - name: routed
    facts:
      - request: { request_id: r1, agent_id: a1, purpose: audit }
      - intent: { request_id: r1, data_types: [vulnerability] }
    expect: { routed: [vulns], denied: [] }
`;

function casesFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'nautilus-rules-test-cli-')), 'cases.yaml');
  writeFileSync(file, text);
  return file;
}

test('rules test --verbose prints the decisions and trace of a passing case', () => {
  const r = nautilus('rules', 'test', 'rules/builtin', '--cases', casesFile(CASES), '--verbose');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ok +1 {2}routed$/m);
  assert.match(
    r.stdout,
    /^ {10}routed +vulns +routing::route-by-data-type: offers vulnerability$/m,
  );
  assert.match(r.stdout, /^ +1 +request +routing::route-by-data-type +f-\d+ f-\d+ - -$/m);
  assert.match(r.stdout, /1 case\(s\): 1 ok, 0 failed/);
});

test('rules test: an unreadable or invalid cases file exits 2 with every error', () => {
  const missing = nautilus('rules', 'test', 'rules/builtin', '--cases', '/nonexistent.yaml');
  assert.equal(missing.status, 2);
  assert.equal(missing.stdout, '');
  assert.match(
    missing.stderr,
    /^\[NAU_RULES_IO\] \/nonexistent\.yaml: cannot read \/nonexistent\.yaml: ENOENT/,
  );
  const file = casesFile(
    CASES.replace('agent: { id: a1', 'agnet: { id: a1').replace(
      'routed: [vulns]',
      'routed: [vuln]',
    ),
  );
  const bad = nautilus('rules', 'test', 'rules/builtin', '--cases', file);
  assert.equal(bad.status, 2);
  const lines = bad.stderr.trim().split('\n');
  assert.match(
    lines[0] as string,
    /^\[NAU_RULES_UNKNOWN_REFERENCE\] .*cases\.yaml:5:7: defaults\.facts\[1\]: unknown template agnet \(did you mean agent\?\)$/,
  );
  assert.match(
    lines[1] as string,
    /^\[NAU_RULES_UNKNOWN_REFERENCE\] .*cases\.yaml:11:24: case routed, cases\[0\]\.expect\.routed\[0\]: unknown source vuln \(did you mean vulns\?\)/,
  );
  assert.equal(lines[2], '2 error(s): no case ran');
});

test('rules test: rules with errors exit 2; a missing --cases option exits 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nautilus-rules-test-bad-'));
  writeFileSync(
    join(dir, 'r.yaml'),
    'module: MAIN\nrules:\n  - name: r\n    when: [ { template: nope } ]\n    then: { action: deny }\n',
  );
  const r = nautilus('rules', 'test', 'rules/builtin', dir, '--cases', casesFile(CASES));
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /\[NAU_RULES_UNKNOWN_REFERENCE\] .*r\.yaml:4:25: rule r, .*unknown template nope/,
  );
  assert.match(r.stderr, /error\(s\): no case ran/);
  const usage = nautilus('rules', 'test', 'rules/builtin');
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /required option '--cases <file>' not specified/);
});
