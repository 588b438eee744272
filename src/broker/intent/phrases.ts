// Keyword and phrase matching over word tokens. Keywords match whole tokens (after stemming), never
// substrings: "pii" does not match "piirate". A multi-word keyword matches the same stems in
// sequence ("credit card" matches "credit cards"). Matching is leftmost-longest and does not
// overlap: at each token the longest keyword that matches there wins and matching resumes after
// it; if several keys share that longest keyword, each of them gets a hit.
import type { Token } from './text.ts';

export interface PhraseEntry<K> {
  readonly key: K;
  /** The keyword as configured, for explanations. */
  readonly keyword: string;
  readonly stems: readonly string[];
}

export interface PhraseHit<K> {
  readonly key: K;
  readonly keyword: string;
  /** Index of the first token and number of tokens matched. */
  readonly start: number;
  readonly length: number;
}

export class PhraseMatcher<K> {
  /** First stem -> entries, longest first (ties keep insertion order). */
  private readonly byFirst = new Map<string, PhraseEntry<K>[]>();

  constructor(entries: Iterable<PhraseEntry<K>>) {
    const seen = new Set<string>();
    for (const e of entries) {
      const first = e.stems[0];
      if (first === undefined) continue;
      const id = JSON.stringify([e.key, e.stems]);
      if (seen.has(id)) continue; // the same key and stems twice (e.g. "Record" and "records")
      seen.add(id);
      const list = this.byFirst.get(first) ?? [];
      list.push(e);
      this.byFirst.set(first, list);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.stems.length - a.stems.length);
  }

  match(tokens: readonly Token[]): PhraseHit<K>[] {
    const hits: PhraseHit<K>[] = [];
    let i = 0;
    while (i < tokens.length) {
      const candidates = this.byFirst.get(tokens[i]!.stem);
      let longest = 0;
      for (const e of candidates ?? []) {
        if (longest > 0 && e.stems.length < longest) break;
        if (!matchesAt(tokens, i, e.stems)) continue;
        longest = e.stems.length;
        hits.push({ key: e.key, keyword: e.keyword, start: i, length: longest });
      }
      i += Math.max(1, longest);
    }
    return hits;
  }
}

function matchesAt(tokens: readonly Token[], at: number, stems: readonly string[]): boolean {
  if (at + stems.length > tokens.length) return false;
  return stems.every((s, k) => tokens[at + k]!.stem === s);
}
