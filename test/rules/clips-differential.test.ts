// The compiled CLIPS of a ruleset that uses no host function runs unchanged in the real clips
// binary (CLIPS 6.30) and gives the same firings and facts as our engine, through the batch
// runner and through installRules + evaluate.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runClipsBatch } from '../../src/cli/clips-batch.ts';
import { Engine } from '../../src/engine/index.ts';
import { checkRuleDirs, evaluate, installRules } from '../../src/rules/index.ts';

const dir = fileURLToPath(new URL('./fixtures/portable/', import.meta.url));
const CLIPS = '/usr/bin/clips';

const FACTS = [
  '(agent (id "a1") (clearance 3) (purpose audit) (roles analyst viewer))',
  '(source (id "s1") (level 2) (kind db) (purposes audit) (tags "pii hr"))',
  '(source (id "s2") (level 5) (kind db) (tags "pii"))',
  '(source (id "s3") (level 1) (kind file) (tags ""))',
  '(source (id "s4") (level 1) (kind api) (tags "pii"))',
  '(source (id "s5") (level 0) (kind db) (purposes research) (tags "pii"))',
  '(source (id "s6") (level 2) (kind file) (tags "pii"))',
  '(grant (agent "a1") (source "s1"))',
  '(grant (agent "a1") (source "s2"))',
  '(grant (agent "a1") (source "s6"))',
];

function batch(program: string, focus: readonly string[]): string {
  return [
    program,
    '(reset)',
    ...FACTS.map((f) => `(assert ${f})`),
    '(watch rules)',
    `(focus ${focus.join(' ')})`,
    '(run)',
    '(unwatch rules)',
    '(facts)',
    // Without (exit) clips -f2 waits for more input forever.
    '(exit)',
    '',
  ].join('\n');
}

test('compiled rules give the same firings and facts in clips and in our engine', (t) => {
  const checked = checkRuleDirs([dir]);
  assert.deepEqual(checked.errors, []);
  const text = batch(checked.compiled.text, checked.compiled.focusOrder);

  let ours = '';
  const r = runClipsBatch(text, { source: 'portable.bat', write: (s) => (ours += s) });
  assert.equal(r.errors, 0, ours);
  assert.match(ours, /FIRE {4}1 deny-level: f-1,f-3/);
  assert.match(ours, /\(route \(source "s1"\) \(score 1\.0\)\)/);

  // The library path fires the same rules in the same order.
  const engine = new Engine();
  installRules(engine, checked.compiled);
  engine.reset();
  for (const f of FACTS) engine.assertString(f);
  const ev = evaluate(engine, checked.compiled);
  const fired = [...ours.matchAll(/^FIRE +\d+ ([\w-]+):/gm)].map((m) => m[1]);
  assert.deepEqual(
    ev.ruleTrace.map((x) => x.replace(/^\w+::/, '')),
    fired,
  );

  if (!existsSync(CLIPS)) {
    t.skip('clips not installed');
    return;
  }
  const path = join(mkdtempSync(join(tmpdir(), 'nautilus-rules-clips-')), 'portable.bat');
  writeFileSync(path, text);
  const live = execFileSync(CLIPS, ['-f2', path], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(ours, live);
});
