// Differential tests: every program under test/clips/programs is run through our engine and its
// output must equal the stored CLIPS 6.30 output in test/clips/expected (byte-for-byte). When the
// real `clips` binary is available, the stored output is also checked against a live run so stale
// expectations are caught.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runClipsBatch } from '../../src/cli/clips-batch.ts';

const corpus = fileURLToPath(new URL('../clips/', import.meta.url));
const programsDir = join(corpus, 'programs');
const expectedDir = join(corpus, 'expected');

function findClips(): string | undefined {
  if (existsSync('/usr/bin/clips')) return '/usr/bin/clips';
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'clips'))) return join(dir, 'clips');
  }
  return undefined;
}

const clipsBinary = findClips();
const programs = readdirSync(programsDir)
  .filter((name) => name.endsWith('.clp'))
  .sort();

for (const name of programs) {
  const programPath = join(programsDir, name);
  const expectedPath = join(expectedDir, name.replace(/\.clp$/, '.out'));

  test(`clips differential: ${name}`, async (t) => {
    const source = readFileSync(programPath, 'utf8');
    const expected = readFileSync(expectedPath, 'utf8');

    await t.test('engine output matches stored CLIPS output', () => {
      let output = '';
      runClipsBatch(source, {
        source: programPath,
        write: (text) => {
          output += text;
        },
      });
      assert.equal(output, expected);
    });

    await t.test('stored output matches live clips -f2', (st) => {
      if (clipsBinary === undefined) {
        st.skip('clips binary not installed: live comparison skipped');
        return;
      }
      const live = execFileSync(clipsBinary, ['-f2', programPath], {
        encoding: 'utf8',
        timeout: 20_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      assert.equal(expected, live);
    });
  });
}
