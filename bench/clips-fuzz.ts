// Random differential check against the real CLIPS binary:
//   npm run fuzz:clips -- [--seed S] [--programs N] [--rich] [--keep DIR] [--json-only]
//
// Generates small random programs (three templates, 2-5 rules mixing joins, not/exists and
// fact-address bindings, a random sequence of asserts and retracts, `watch activations` and
// `(agenda)`; `--rich` adds constraints, multislots, test CEs, salience, RHS asserts and
// retracts and runs), runs each through `clips -f2` and through `nautilus clips`, and reports how
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
const RICH = argv.includes('--rich');
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

// ---- --rich: more of the language (constraints, multislots, test CEs, salience, RHS actions,
// runs), the programs of the basic mode being a subset of what it covers.

/** Variables a rule has bound so far in positive patterns. */
type Bound = Set<string>;

function richSlot(rng: Rng, bound: Bound, name: string, fresh: string): string {
  const r = rng.int(10);
  if (r < 4) {
    bound.add(fresh);
    return `(${name} ?${fresh})`;
  }
  if (r < 5 && bound.has(fresh)) return `(${name} ?${fresh})`;
  if (r < 7) return `(${name} ${name === 'k' ? rng.pick(KEYS) : rng.int(3)})`;
  if (r < 8) return `(${name} ${name === 'k' ? 'x|y' : '~1'})`;
  bound.add(fresh);
  return `(${name} ?${fresh}&:(> ${name === 'k' ? '(str-length ?k)' : `?${fresh}`} 0))`;
}

function richPattern(rng: Rng, bound: Bound, factVar: string | null, inner: boolean): string {
  // Variables bound inside not/exists stay there.
  const b = inner ? new Set(bound) : bound;
  const head = factVar === null ? '' : `${factVar} <- `;
  if (rng.chance(0.25)) {
    const items = rng.pick(['$? ?v $?', 'x $?', '$?all', '', '?v', '$? y']);
    if (items.includes('?v')) b.add('v');
    return `${head}(m ${richSlot(rng, b, 'k', 'k')} (items ${items}))`;
  }
  const k = richSlot(rng, b, 'k', 'k');
  const n = richSlot(rng, b, 'n', rng.pick(['n', 'm']));
  return `${head}(${rng.pick(TEMPLATES)} ${rng.chance(0.2) ? `${n} ${k}` : `${k} ${n}`})`;
}

function richRule(rng: Rng, i: number): string {
  const ces: string[] = [];
  const bound: Bound = new Set();
  const vars: string[] = [];
  const length = 1 + rng.int(3);
  for (let c = 0; c < length; c++) {
    const r = rng.int(12);
    if (c > 0 && r < 2) ces.push(`(not ${richPattern(rng, bound, null, true)})`);
    else if (c > 0 && r < 3) ces.push(`(exists ${richPattern(rng, bound, null, true)})`);
    else if (c > 0 && r < 4 && bound.has('n')) ces.push('(test (> ?n 0))');
    else {
      const fv = rng.chance(0.3) ? `?f${c}` : null;
      if (fv !== null) vars.push(fv);
      ces.push(richPattern(rng, bound, fv, false));
    }
  }
  const rhs: string[] = [];
  if (vars.length > 0 && rng.chance(0.3)) rhs.push(`(retract ${rng.pick(vars)})`);
  if (bound.has('k') && rng.chance(0.3)) rhs.push('(assert (c (k ?k) (n 9)))');
  const salience = rng.pick([0, 0, 0, 5, -5]);
  const declare = salience === 0 ? '' : `(declare (salience ${salience})) `;
  return `(defrule r${i} ${declare}${ces.join(' ')} => ${rhs.join(' ')})`;
}

function richProgram(rng: Rng): string {
  const lines = TEMPLATES.map((t) => `(deftemplate ${t} (slot k) (slot n))`);
  lines.push('(deftemplate m (slot k) (multislot items))');
  const rules = 2 + rng.int(5);
  for (let i = 0; i < rules; i++) lines.push(richRule(rng, i));
  lines.push('(watch activations)', '(watch rules)');
  let facts = 0;
  for (let s = 0; s < 16; s++) {
    const r = rng.int(20);
    if (facts > 0 && r < 6) lines.push(`(retract ${1 + rng.int(facts)})`);
    else if (r < 8) lines.push(`(run ${1 + rng.int(4)})`);
    else if (r < 11) {
      facts++;
      const items = rng.pick(['', 'x', 'x y', 'y x y', 'z']);
      lines.push(`(assert (m (k ${rng.pick(KEYS)}) (items ${items})))`);
    } else {
      facts++;
      lines.push(`(assert (${rng.pick(TEMPLATES)} (k ${rng.pick(KEYS)}) (n ${rng.int(3)})))`);
    }
  }
  lines.push('(agenda)', '(run 40)', '(facts)', '(exit)');
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
    const text = RICH ? richProgram(rng) : program(rng);
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
