// Severity words as whole words: critical, high, medium, low (lower-cased, in order of first
// occurrence). They are matched exactly (no stemming: "highest" and "lows" are not severities).
import type { Token } from '../text.ts';

const SEVERITIES = new Set(['critical', 'high', 'medium', 'low']);

export function extractSeverities(tokens: readonly Token[]): string[] {
  const out = new Set<string>();
  for (const t of tokens) if (SEVERITIES.has(t.word)) out.add(t.word);
  return [...out];
}
