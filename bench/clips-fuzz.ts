// Random differential check against the real CLIPS binary:
//   npm run fuzz:clips -- [--seed S] [--programs N] [--keep DIR] [--json-only]
//
// Generates small random programs (three templates, 2-5 rules mixing joins, not/exists and
// fact-address bindings, a random sequence of asserts and retracts, `watch activations` and
// `(agenda)`), runs each through `clips -f2` and through `nautilus clips`, and reports how
// many outputs differ. Unlike the differential corpus (test/clips), which must match exactly,
// this measures what the corpus does not cover yet; differing programs are written to --keep
// (default .tmp/clips-fuzz) to be turned into corpus programs once fixed. Needs `clips`
// (Debian package); reports and exits 0 without it. Only measures; nothing is asserted.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runClipsBatch } from '../src/cli/clips-batch.ts';
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
const CLIPS = '/usr/bin/clips';

const TEMPLATES = ['a', 'b', 'c'] as const;
const KEYS = ['x', 'y'] as const;

function pattern(rng: Rng, factVar: string | null): string {
  const k = rng.chance(0.7) ? '?k' : rng.pick(KEYS);
  const n = rng.chance(0.5) ? rng.pick(['?n', '?m']) : String(rng.int(3));
  return `${factVar === null ? '' : `${factVar} <- `}(${rng.pick(TEMPLATES)} (k ${k}) (n ${n}))`;
}

function rule(rng: Rng, i: number): string {
  const ces: string[] = [];
  const length = 1 + rng.int(3);
  for (let c = 0; c < length; c++) {
    const r = rng.int(10);
    if (c > 0 && r < 2) ces.push(`(not ${pattern(rng, null)})`);
    else if (c > 0 && r < 3) ces.push(`(exists ${pattern(rng, null)})`);
    else ces.push(pattern(rng, rng.chance(0.3) ? `?f${c}` : null));
  }
  return `(defrule r${i} ${ces.join(' ')} =>)`;
}

function program(rng: Rng): string {
  const lines = TEMPLATES.map((t) => `(deftemplate ${t} (slot k) (slot n))`);
  const rules = 2 + rng.int(4);
  for (let i = 0; i < rules; i++) lines.push(rule(rng, i));
  lines.push('(watch activations)');
  let facts = 0;
  for (let s = 0; s < 14; s++) {
    if (facts > 0 && rng.chance(0.35)) lines.push(`(retract ${1 + rng.int(facts)})`);
    else {
      facts++;
      lines.push(`(assert (${rng.pick(TEMPLATES)} (k ${rng.pick(KEYS)}) (n ${rng.int(3)})))`);
    }
  }
  lines.push('(agenda)', '(exit)');
  return `${lines.join('\n')}\n`;
}

// Retracting a fact twice prints an error in both, worded differently: those lines are left
// out of the comparison.
const comparable = (out: string): string =>
  out
    .split('\n')
    .filter((l) => !/PRNTUTIL1|NAU_ENGINE_UNKNOWN_FACT/.test(l))
    .join('\n');

function main(): void {
  if (!existsSync(CLIPS)) {
    console.log(`clips-fuzz: ${CLIPS} not installed (apt-get install clips); nothing measured`);
    return;
  }
  mkdirSync(KEEP, { recursive: true });
  const rng = new Rng(SEED);
  const differing: string[] = [];
  for (let p = 0; p < PROGRAMS; p++) {
    const text = program(rng);
    const file = join(KEEP, `seed${SEED}-${p}.clp`);
    writeFileSync(file, text);
    const want = execFileSync(CLIPS, ['-f2', file], { encoding: 'utf8', timeout: 20_000 });
    let got = '';
    runClipsBatch(text, { source: file, write: (t) => (got += t) });
    if (comparable(got) !== comparable(want)) differing.push(file);
  }
  const result = {
    seed: SEED,
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
