// The `nautilus clips` command end to end: a real child process, its stdout and exit code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'nautilus-cli-')), name);
  writeFileSync(path, text);
  return path;
}

test('nautilus clips -f prints exactly what clips -f2 prints for a corpus program', () => {
  const name = '060-salience-ties-recency';
  const r = nautilus('clips', '-f', join(root, `test/clips/programs/${name}.clp`));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(join(root, `test/clips/expected/${name}.out`), 'utf8'));
});

test('nautilus clips loads construct files before running the batch', () => {
  const rules = tempFile(
    'rules.clp',
    '(defrule hi (greet ?who) => (printout t "hello " ?who crlf))',
  );
  const batch = tempFile('batch.clp', '(reset)\n(assert (greet world))\n(run)\n(exit)\n');
  const r = nautilus('clips', rules, '-f', batch);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'hello world\n');
});

test('errors name file:line:column and the construct, and the exit code is 1', () => {
  const batch = tempFile(
    'bad.clp',
    '(defrule ok (a) => (printout t "ok" crlf))\n(defrule broken (a ?x) =>\n  (no-such-fn ?x))\n(assert (a))\n(run)\n(exit)\n',
  );
  const r = nautilus('clips', '-f', batch);
  assert.equal(r.status, 1);
  assert.match(
    r.stdout,
    /\[NAU_ENGINE_UNKNOWN_FUNCTION\] .*bad\.clp:3:3: unknown function no-such-fn \(in defrule MAIN::broken\)/,
  );
  // The rest of the batch still runs, as in CLIPS.
  assert.match(r.stdout, /^ok$/m);
});

test('a missing batch file is a usage error with exit code 2', () => {
  const r = nautilus('clips', '-f', '/nonexistent/batch.clp');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /NAU_ENGINE_IO.*nonexistent/);
});
