// Negated mentions: "without PII", "non-PII", "do not include financial data", "no PII or health
// records".
// A hit is negated when a negation cue precedes it with only filler words in between, or when it
// continues a list that starts with a negated hit (joined by a comma, "or", "nor" or "and"). A
// sentence break (. ; : ! ?) or any other word ends the list. Deliberately small: it only exists
// so that an agent who says it does not want a data type is not routed to it.
import type { PhraseHit } from './phrases.ts';
import type { Token } from './text.ts';

const CUES = new Set([
  'no',
  'non',
  'not',
  'without',
  'except',
  'excluding',
  'exclude',
  'excludes',
  'dont',
  'doesnt',
  'never',
  'neither',
  'minus',
]);
/** Words allowed between a cue and the keyword ("do not show me any PII", "not for marketing"). */
const CUE_FILLERS = new Set([
  'a',
  'an',
  'any',
  'all',
  'the',
  'of',
  'me',
  'us',
  'show',
  'give',
  'return',
  'include',
  'including',
  'want',
  'need',
  'see',
  'get',
  'fetch',
  'for',
  'about',
]);
const CONJUNCTIONS = new Set(['or', 'nor', 'and']);
const LIST_FILLERS = new Set(['a', 'an', 'any', 'the']);

/** Separator text that keeps two words in the same clause: spaces, and for lists a comma. */
function plainGap(gap: string, allowComma: boolean): boolean {
  return allowComma
    ? /^[\s,]*$/u.test(gap) && (gap.match(/,/g)?.length ?? 0) <= 1
    : /^\s*$/u.test(gap);
}

/** One flag per hit (hits in text order; hits sharing a place share the flag). */
export function negatedHits<K>(tokens: readonly Token[], hits: readonly PhraseHit<K>[]): boolean[] {
  const negated: boolean[] = [];
  let previous: { start: number; end: number; negated: boolean } | undefined;
  for (const hit of hits) {
    if (previous !== undefined && previous.start === hit.start) {
      negated.push(previous.negated);
      continue;
    }
    let flag = cuePrecedes(tokens, hit.start);
    if (!flag && previous?.negated === true) flag = continuesList(tokens, previous.end, hit.start);
    negated.push(flag);
    previous = { start: hit.start, end: hit.start + hit.length, negated: flag };
  }
  return negated;
}

/** A cue may be hyphenated to its word: "non-PII", "not-financial". */
function cueGap(gap: string): boolean {
  return /^\s*-?\s*$/u.test(gap);
}

function cuePrecedes(tokens: readonly Token[], start: number): boolean {
  let j = start - 1;
  let boundary = start;
  while (j >= 0) {
    if (!cueGap(tokens[boundary]!.gap)) return false;
    const word = tokens[j]!.word;
    if (CUES.has(word)) return true;
    if (!CUE_FILLERS.has(word)) return false;
    boundary = j;
    j--;
  }
  return false;
}

/** Tokens `from..start-1` (after the previous hit) hold only list glue. */
function continuesList(tokens: readonly Token[], from: number, start: number): boolean {
  let sawConjunction = false;
  for (let k = from; k < start; k++) {
    const word = tokens[k]!.word;
    if (!plainGap(tokens[k]!.gap, true)) return false;
    if (CONJUNCTIONS.has(word) && !sawConjunction) sawConjunction = true;
    else if (!LIST_FILLERS.has(word)) return false;
  }
  return plainGap(tokens[start]!.gap, true);
}
