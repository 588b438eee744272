// Purpose resolution, in order of precedence:
//   1. the first purpose of `analysis.purpose_map` (in map order) with a keyword in the text that
//      is not negated ("for the audit, not marketing" does not pick marketing);
//   2. the caller's context purpose;
//   3. `analysis.default_purpose`;
//   4. none (null).
import { configInvalid, requestInvalid } from './errors.ts';
import { MAX_NAME_LENGTH } from './limits.ts';
import { negatedHits } from './negation.ts';
import { type PhraseEntry, PhraseMatcher } from './phrases.ts';
import type { Token } from './text.ts';
import type { AnalysisContext, PurposeSource } from './types.ts';
import { isPlainObject, keywordEntries } from './vocabulary.ts';

export interface PurposeResult {
  readonly purpose: string | null;
  readonly source: PurposeSource | null;
  readonly keyword: string | null;
}

export class PurposeResolver {
  private readonly order: readonly string[];
  private readonly matcher: PhraseMatcher<string>;
  private readonly defaultPurpose: string | null;

  constructor(
    purposeMap: Readonly<Record<string, readonly string[]>> = {},
    defaultPurpose: string | null = null,
  ) {
    if (!isPlainObject(purposeMap)) {
      throw configInvalid('must be a mapping {purpose: [keywords]}', ['analysis', 'purpose_map']);
    }
    const entries: PhraseEntry<string>[] = [];
    this.order = Object.keys(purposeMap);
    for (const purpose of this.order) {
      checkPurposeName(purpose, ['analysis', 'purpose_map', purpose]);
      entries.push(
        ...keywordEntries(purpose, purposeMap[purpose], ['analysis', 'purpose_map', purpose]),
      );
    }
    this.matcher = new PhraseMatcher(entries);
    if (defaultPurpose !== null) checkPurposeName(defaultPurpose, ['analysis', 'default_purpose']);
    this.defaultPurpose = defaultPurpose;
  }

  /** `fromContext`: the caller's purpose, already validated by contextPurpose(). */
  resolve(tokens: readonly Token[], fromContext: string | null): PurposeResult {
    const hits = this.matcher.match(tokens);
    const negated = negatedHits(tokens, hits);
    const firstKeyword = new Map<string, string>();
    hits.forEach((h, i) => {
      if (!negated[i] && !firstKeyword.has(h.key)) firstKeyword.set(h.key, h.keyword);
    });
    for (const purpose of this.order) {
      const keyword = firstKeyword.get(purpose);
      if (keyword !== undefined) return { purpose, source: 'text', keyword };
    }
    return this.fallback(fromContext);
  }

  /** Steps 2-4, for structured queries without a purpose of their own. */
  fallback(fromContext: string | null = null): PurposeResult {
    if (fromContext !== null) return { purpose: fromContext, source: 'context', keyword: null };
    if (this.defaultPurpose !== null) {
      return { purpose: this.defaultPurpose, source: 'default', keyword: null };
    }
    return { purpose: null, source: null, keyword: null };
  }
}

/** The caller's purpose, validated: absent / null / '' mean none. */
export function contextPurpose(context: AnalysisContext | undefined): string | null {
  if (context === undefined || context === null) return null;
  if (typeof context !== 'object') throw requestInvalid('context must be an object', 'context');
  const p: unknown = context.purpose;
  if (p === undefined || p === null || p === '') return null;
  if (typeof p !== 'string' || p.length > MAX_NAME_LENGTH || p.trim() !== p) {
    throw requestInvalid(
      `context.purpose must be a string of at most ${MAX_NAME_LENGTH} characters without surrounding spaces`,
      'context.purpose',
    );
  }
  return p;
}

function checkPurposeName(name: unknown, path: readonly (string | number)[]): void {
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH) {
    throw configInvalid(
      `a purpose must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
      path,
    );
  }
}
