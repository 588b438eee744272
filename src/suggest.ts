// "Did you mean X?" hints for misspelled keys, names and values (Levenshtein distance). Shared by
// every layer that reports user mistakes: config, rules, intent analysis, request validation.

/** Inputs longer than this are cut before comparing (hints for huge strings are noise). */
const MAX_WORD = 200;

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(
        Math.min(
          (prev[j] as number) + 1,
          (cur[j - 1] as number) + 1,
          (prev[j - 1] as number) + cost,
        ),
      );
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The closest candidate within a distance that scales with the word (none if too far). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase().slice(0, MAX_WORD);
  const list = [...candidates];
  // An abbreviation (`str` for `string`) is a closer hint than any edit distance says.
  const prefixed = w.length >= 3 ? list.find((c) => c.toLowerCase().startsWith(w)) : undefined;
  if (prefixed !== undefined) return prefixed;
  const limit = Math.max(2, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of list) {
    const d = levenshtein(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean X?)`, or '' when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean ${c}?)`;
}
