// Random differential check against the real CLIPS binary:
//   npm run fuzz:clips -- [--seed S] [--programs N] [--rich] [--keep DIR] [--json-only]
//
// Generates small random programs (bench/clips-programs.ts; `--rich` covers more of the
// language), runs each through `clips -f2` and through `nautilus clips`, and reports how
// many outputs differ. Unlike the differential corpus (test/clips), which must match exactly,
// this measures what the corpus does not cover yet; differing programs are written to --keep
// (default .tmp/clips-fuzz) to be turned into corpus programs once fixed. Needs `clips`
// (Debian package); reports and exits 0 without it. Only measures; nothing is asserted.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runClipsBatch } from '../src/cli/clips-batch.ts';
import { basicProgram, comparable, richProgram } from './clips-programs.ts';
import { Rng } from './rng.ts';
import { table } from './table.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : dflt;
};
const SEED = Number(opt('--seed', '1'));
const PROGRAMS = Number(opt('--programs', '300'));
const KEEP = opt('--keep', join('.tmp', 'clips-fuzz'));
const JSON_ONLY = argv.includes('--json-only');
const RICH = argv.includes('--rich');
const CLIPS = '/usr/bin/clips';

function main(): void {
  if (!existsSync(CLIPS)) {
    console.log(`clips-fuzz: ${CLIPS} not installed (apt-get install clips); nothing measured`);
    return;
  }
  mkdirSync(KEEP, { recursive: true });
  const rng = new Rng(SEED);
  const differing: string[] = [];
  for (let p = 0; p < PROGRAMS; p++) {
    const text = RICH ? richProgram(rng) : basicProgram(rng);
    const file = join(KEEP, `${RICH ? 'rich-' : ''}seed${SEED}-${p}.clp`);
    writeFileSync(file, text);
    const want = execFileSync(CLIPS, ['-f2', file], { encoding: 'utf8', timeout: 20_000 });
    let got = '';
    runClipsBatch(text, { source: file, write: (t) => (got += t) });
    if (comparable(got) !== comparable(want)) differing.push(file);
  }
  const result = {
    seed: SEED,
    mode: RICH ? 'rich' : 'basic',
    programs: PROGRAMS,
    differing: differing.length,
    differingShare: Math.round((1000 * differing.length) / PROGRAMS) / 1000,
    examples: differing.slice(0, 10),
  };
  console.log(JSON.stringify(result, null, 2));
  if (!JSON_ONLY) {
    console.log(
      `\n${table(
        `random programs through clips -f2 and nautilus clips (seed ${SEED})`,
        ['programs', 'outputs differ', 'share'],
        [
          [
            String(PROGRAMS),
            String(differing.length),
            `${(100 * result.differingShare).toFixed(1)} %`,
          ],
        ],
      )}`,
    );
  }
}

main();
