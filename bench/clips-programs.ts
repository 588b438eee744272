// Random small CLIPS programs for differential checks against the real `clips` binary
// (bench/clips-fuzz.ts measures how many differ; test/engine/clips-fuzz.test.ts pins seeds that
// must all match). Basic programs: three templates, 2-5 rules mixing joins, not/exists and
// fact-address bindings, random asserts and retracts under `watch activations`, `(agenda)`.
// Rich programs add constraints (`x|y`, `~1`, predicates), a multislot template, test CEs,
// salience, RHS asserts and retracts, and runs.
import type { Rng } from './rng.ts';

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

export function basicProgram(rng: Rng): string {
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

// ---- rich programs: more of the language, the basic programs being a subset of what they
// cover.

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

export function richProgram(rng: Rng): string {
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

/** Output as compared: retracting a fact twice prints an error in both, worded differently,
 *  so those lines are left out. */
export const comparable = (out: string): string =>
  out
    .split('\n')
    .filter((l) => !/PRNTUTIL1|NAU_ENGINE_UNKNOWN_FACT/.test(l))
    .join('\n');
