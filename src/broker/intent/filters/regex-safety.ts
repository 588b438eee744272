// Static screening of operator-supplied regular expressions (`analysis.patterns[].regex`).
// JavaScript regexes backtrack, and a bad pattern can take seconds on one hostile request. The
// screen is conservative. It rejects:
//   - nested quantifiers: a group that may repeat more than once and itself contains a quantifier
//     or an alternation, e.g. (a+)+, (\w+\s?)*, (a|aa)+. An optional group, (...)?, is fine;
//   - backreferences (\1, \k<name>);
//   - patterns whose backtracking bound exceeds BACKTRACK_BUDGET (2^26). The bound counts the
//     ways one match attempt can proceed: a sequence multiplies its parts, an alternation adds its
//     branches, a quantifier multiplies its atom by the number of repetition counts it allows
//     (max - min + 1; an unbounded one counts as MAX_INTENT_LENGTH), and the whole is multiplied
//     by MAX_INTENT_LENGTH start positions. One unbounded quantifier plus a little bounded slack
//     passes (`[A-Z]{2,5}-\d+`); two unbounded ones do not (`\w+@\w+`: write `\w{1,64}@\w{1,64}`).
// With the input cap (MAX_INTENT_LENGTH) this keeps one pattern's worst case to tens of
// milliseconds. The source must already compile with the `u` flag, which rejects stray braces and
// unknown escapes, so the scanner can read it strictly.
import { MAX_INTENT_LENGTH } from '../limits.ts';

export const BACKTRACK_BUDGET = 2 ** 26;

interface Node {
  readonly cost: number;
  readonly quantified: boolean;
  readonly alternation: boolean;
  readonly group: boolean;
}

class Hazard extends Error {}

/** Why the pattern is unsafe, or null when it passes. */
export function regexHazard(source: string): string | null {
  try {
    const scanner = new Scanner(source);
    const root = scanner.alternation();
    if (scanner.i < source.length) return 'unbalanced parenthesis';
    const bound = root.cost * MAX_INTENT_LENGTH;
    if (!(bound <= BACKTRACK_BUDGET)) {
      return `its backtracking bound (${formatBound(bound)}) exceeds ${formatBound(BACKTRACK_BUDGET)}; bound the repetitions (e.g. {1,64} instead of + or *)`;
    }
    return null;
  } catch (e) {
    if (e instanceof Hazard) return e.message;
    throw e;
  }
}

function formatBound(n: number): string {
  return Number.isFinite(n) ? `2^${Math.log2(n).toFixed(1)}` : 'unbounded';
}

class Scanner {
  i = 0;
  constructor(private readonly s: string) {}

  alternation(): Node {
    const branches = [this.sequence()];
    while (this.s[this.i] === '|') {
      this.i++;
      branches.push(this.sequence());
    }
    return {
      cost: branches.reduce((sum, b) => sum + b.cost, 0),
      quantified: branches.some((b) => b.quantified),
      alternation: branches.length > 1 || branches.some((b) => b.alternation),
      group: false,
    };
  }

  private sequence(): Node {
    let cost = 1;
    let quantified = false;
    let alternation = false;
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const atom = this.atom();
      let atomCost = atom.cost;
      const q = this.quantifier();
      if (q !== null) {
        if (q.max > 1 && atom.group && (atom.quantified || atom.alternation)) {
          throw new Hazard(
            'nested quantifiers (a repeated group that contains a quantifier or an alternation) are not allowed',
          );
        }
        atomCost *= q.width;
        quantified = true;
      }
      cost *= atomCost;
      quantified ||= atom.quantified;
      alternation ||= atom.alternation;
    }
    return { cost, quantified, alternation, group: false };
  }

  private atom(): Node {
    const c = this.s[this.i]!;
    const plain: Node = { cost: 1, quantified: false, alternation: false, group: false };
    if (c === '\\') {
      const next = this.s[this.i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') throw new Hazard('backreferences are not allowed');
      this.i += this.escapeLength(this.i);
      return plain;
    }
    if (c === '[') {
      let j = this.i + 1;
      while (j < this.s.length && this.s[j] !== ']')
        j += this.s[j] === '\\' ? this.escapeLength(j) : 1;
      this.i = j + 1;
      return plain;
    }
    if (c === '(') {
      this.i += this.groupPrefixLength();
      const inner = this.alternation();
      if (this.s[this.i] !== ')') throw new Hazard('unbalanced parenthesis');
      this.i++;
      return { ...inner, group: true };
    }
    this.i++;
    return plain;
  }

  private escapeLength(at: number): number {
    const next = this.s[at + 1];
    if ((next === 'p' || next === 'P' || next === 'u') && this.s[at + 2] === '{') {
      const close = this.s.indexOf('}', at + 3);
      return close < 0 ? this.s.length - at : close - at + 1;
    }
    return 2;
  }

  /** `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>` */
  private groupPrefixLength(): number {
    const s = this.s;
    const i = this.i;
    if (s[i + 1] !== '?') return 1;
    if (s[i + 2] === '<' && s[i + 3] !== '=' && s[i + 3] !== '!') {
      const close = s.indexOf('>', i + 3);
      return close < 0 ? s.length - i : close - i + 1;
    }
    return s[i + 2] === '<' ? 4 : 3;
  }

  /** A quantifier at the cursor (consumed), or null. */
  private quantifier(): { width: number; max: number } | null {
    const c = this.s[this.i];
    let q: { min: number; max: number; length: number } | null = null;
    if (c === '*') q = { min: 0, max: Number.POSITIVE_INFINITY, length: 1 };
    else if (c === '+') q = { min: 1, max: Number.POSITIVE_INFINITY, length: 1 };
    else if (c === '?') q = { min: 0, max: 1, length: 1 };
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i, this.i + 40));
      if (m !== null) {
        const min = Number(m[1]);
        const max =
          m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
        q = { min, max, length: m[0].length };
      }
    }
    if (q === null) return null;
    this.i += q.length;
    if (this.s[this.i] === '?') this.i++; // lazy: same bound
    const cap = (n: number) => Math.min(n, MAX_INTENT_LENGTH);
    const width = Number.isFinite(q.max) ? cap(q.max) - cap(q.min) + 1 : MAX_INTENT_LENGTH;
    return { width: Math.max(1, width), max: q.max };
  }
}
