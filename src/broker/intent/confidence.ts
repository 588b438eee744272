// The confidence score: how sure the analyzer is that it understood what to fetch. Computed in
// hundredths (integers) so that the result is exact and the same on every platform.
//
//   no data type recognised                       -> 0
//   otherwise  clamp(0.50 + E + P + F - A, 0, 1), two decimals, where
//     E (evidence)  0.10 if some data type was named by a multi-word phrase or by two different
//                   keywords, else 0
//     P (purpose)   0.20 from the text or the caller's context, 0.05 from default_purpose, else 0
//     F (filters)   0.20 if at least one filter was extracted, else 0
//     A (ambiguity) 0.10 per (not negated) mention whose keyword names more than one data type
//                   + 0.10 per data type both requested and refused ("PII ... without PII")
//                   + 0.05 per requested data type beyond the third
import type { IntentMatch, PurposeSource } from './types.ts';

export interface ConfidenceInput {
  readonly dataTypes: readonly string[];
  /** Every mention, in order; mentions at one place that share a keyword form one `group`. */
  readonly mentions: readonly {
    readonly match: IntentMatch;
    readonly words: number;
    readonly group: number;
  }[];
  readonly purposeSource: PurposeSource | null;
  readonly filterCount: number;
}

export function confidenceScore(input: ConfidenceInput): number {
  if (input.dataTypes.length === 0) return 0;
  let hundredths = 50;

  const keywordsByType = new Map<string, Set<string>>();
  let phrase = false;
  const groupSizes = new Map<number, number>();
  const refused = new Set<string>();
  for (const { match, words, group } of input.mentions) {
    if (match.negated) {
      refused.add(match.dataType);
      continue;
    }
    groupSizes.set(group, (groupSizes.get(group) ?? 0) + 1);
    if (words > 1) phrase = true;
    const set = keywordsByType.get(match.dataType) ?? new Set();
    set.add(match.keyword.toLowerCase());
    keywordsByType.set(match.dataType, set);
  }
  const twoKeywords = [...keywordsByType.values()].some((s) => s.size >= 2);
  if (phrase || twoKeywords) hundredths += 10;

  if (input.purposeSource === 'text' || input.purposeSource === 'context') hundredths += 20;
  else if (input.purposeSource === 'default') hundredths += 5;

  if (input.filterCount > 0) hundredths += 20;

  const ambiguous = [...groupSizes.values()].filter((n) => n > 1).length;
  const contradicted = input.dataTypes.filter((dt) => refused.has(dt)).length;
  hundredths -= 10 * ambiguous + 10 * contradicted + 5 * Math.max(0, input.dataTypes.length - 3);

  return Math.min(100, Math.max(0, hundredths)) / 100;
}
