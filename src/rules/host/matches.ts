// `fathom-matches`: a regular-expression search. Inputs longer than 4096 characters are refused
// with an error (as in Fathom), which fails the evaluation rather than answering either way.
import type { Value } from '../../engine/index.ts';
import { atomText } from './values.ts';

export const MATCH_LIMIT = 4096;
const cache = new Map<string, RegExp>();

export function matches(subject: Value, pattern: Value): boolean {
  const s = atomText(subject);
  const p = atomText(pattern);
  if (s === undefined || p === undefined) return false;
  if (s.length > MATCH_LIMIT || p.length > MATCH_LIMIT)
    throw new Error(`fathom-matches: argument longer than ${MATCH_LIMIT} characters`);
  let re = cache.get(p);
  if (re === undefined) {
    re = new RegExp(p, 'u');
    if (cache.size >= 256) cache.clear();
    cache.set(p, re);
  }
  return re.test(s);
}
