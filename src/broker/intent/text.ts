// Canonical text and word tokens. Everything the analyzer matches runs on the canonical form:
// Unicode NFKC (full-width "ＣＶＥ" and ligatures become plain letters) with format characters
// (zero-width spaces, soft hyphens, bidi controls: \p{Cf}) removed, so they cannot split or hide a
// word. A token is a maximal run of letters, marks and digits; "_", "-", "." and every other
// symbol separate tokens ("asset_inventory" is two tokens). An apostrophe inside a word joins it
// ("don't" -> "dont") and a possessive "'s" is dropped ("agent's" -> "agent").
import { stem } from './stem.ts';

export interface Token {
  /** Lower-cased word, apostrophes removed. */
  readonly word: string;
  readonly stem: string;
  /** Offsets in the canonical text. */
  readonly start: number;
  readonly end: number;
  /** The canonical text between the previous token (or the start) and this one. */
  readonly gap: string;
}

const FORMAT_CHARS = /\p{Cf}/gu;
const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu;

export function canonicalText(text: string): string {
  return text.normalize('NFKC').replace(FORMAT_CHARS, '');
}

/** Tokens of already canonical text. */
export function tokenize(canonical: string): Token[] {
  const tokens: Token[] = [];
  let previousEnd = 0;
  for (const m of canonical.matchAll(WORD)) {
    const start = m.index;
    const end = start + m[0].length;
    const word = m[0]
      .toLowerCase()
      .replace(/['’]s$/u, '')
      .replace(/['’]/gu, '');
    tokens.push({ word, stem: stem(word), start, end, gap: canonical.slice(previousEnd, start) });
    previousEnd = end;
  }
  return tokens;
}

/** Stems of a keyword or phrase (canonicalized the same way as request text). */
export function keywordStems(keyword: string): string[] {
  return tokenize(canonicalText(keyword)).map((t) => t.stem);
}
