// Deterministic intent analysis: natural-language request -> Intent (data types, purpose, filters,
// entities, confidence), or NAU_INTENT_UNCLEAR when the confidence is below the threshold. No LLM,
// no wall clock (the clock is injected), no state between calls: the same text, context and clock
// reading always give the same result. See docs/intent.md.
import { NautilusError } from '../../errors.ts';
import { confidenceScore } from './confidence.ts';
import { configInvalid } from './errors.ts';
import {
  applyPatterns,
  type CompiledPattern,
  compilePatterns,
  extractCves,
  extractDateFilters,
  extractIpv4,
  extractSeverities,
} from './filters/index.ts';
import { canonicalRequest } from './input.ts';
import { DEFAULT_CONFIDENCE_THRESHOLD } from './limits.ts';
import { negatedHits } from './negation.ts';
import { contextPurpose, PurposeResolver } from './purpose.ts';
import { structuredIntent } from './structured.ts';
import { tokenize } from './text.ts';
import type {
  AnalysisContext,
  Intent,
  IntentAnalyzerOptions,
  IntentFilter,
  IntentMatch,
} from './types.ts';
import { buildVocabulary, type Vocabulary } from './vocabulary.ts';

const LISTED_KNOWN = 20;

export class IntentAnalyzer {
  /** Data types of the registered sources, in registration order. */
  readonly knownDataTypes: readonly string[];
  readonly confidenceThreshold: number;
  private readonly vocabulary: Vocabulary;
  private readonly purposes: PurposeResolver;
  private readonly patterns: readonly CompiledPattern[];
  private readonly clock: () => Date;

  constructor(opts: IntentAnalyzerOptions) {
    this.vocabulary = buildVocabulary(opts.sources, opts.keywordMap);
    this.knownDataTypes = this.vocabulary.dataTypes;
    this.purposes = new PurposeResolver(opts.purposeMap, opts.defaultPurpose ?? null);
    this.patterns = compilePatterns(opts.patterns);
    const threshold = opts.confidenceThreshold ?? DEFAULT_CONFIDENCE_THRESHOLD;
    if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
      throw configInvalid('must be a number from 0 to 1', ['analysis', 'confidence_threshold']);
    }
    this.confidenceThreshold = threshold;
    if (opts.clock !== undefined && typeof opts.clock !== 'function') {
      throw configInvalid('must be a function returning a Date', ['clock']);
    }
    this.clock = opts.clock ?? (() => new Date());
  }

  /** Analyze a natural-language request. Throws NautilusError only. */
  analyze(text: unknown, context?: AnalysisContext): Intent {
    const canonical = canonicalRequest(text);
    const fromContext = contextPurpose(context);
    const tokens = tokenize(canonical);

    const hits = this.vocabulary.matcher.match(tokens);
    const negated = negatedHits(tokens, hits);
    const mentions = hits.map((h, i) => ({
      match: { dataType: h.key, keyword: h.keyword, negated: negated[i] === true },
      words: h.length,
      group: h.start,
    }));
    const dataTypes = unique(mentions.filter((m) => !m.match.negated).map((m) => m.match.dataType));
    const matches = uniqueMatches(mentions.map((m) => m.match));

    const purpose = this.purposes.resolve(tokens, fromContext);

    const now = this.now();
    const cves = extractCves(canonical);
    const ips = extractIpv4(canonical);
    const severities = extractSeverities(tokens);
    const custom = applyPatterns(this.patterns, canonical);
    const filters: IntentFilter[] = [];
    if (cves.length > 0) filters.push({ field: 'cve_id', operator: 'IN', value: cves });
    if (ips.length > 0) filters.push({ field: 'ip', operator: 'IN', value: ips });
    filters.push(...extractDateFilters(canonical, now));
    if (severities.length > 0)
      filters.push({ field: 'severity', operator: 'IN', value: severities });
    filters.push(...custom.filters);

    const intent: Intent = {
      raw: text as string,
      dataTypes,
      purpose: purpose.purpose,
      purposeSource: purpose.source,
      purposeKeyword: purpose.keyword,
      filters,
      entities: unique([...cves, ...ips, ...custom.values]),
      confidence: confidenceScore({
        dataTypes,
        mentions,
        purposeSource: purpose.source,
        filterCount: filters.length,
      }),
      structured: false,
      matches,
    };
    if (intent.confidence < this.confidenceThreshold) throw this.unclear(intent);
    return intent;
  }

  /** Validate a structured query; a missing purpose falls back to the context, then the default. */
  structured(query: unknown, context?: AnalysisContext): Intent {
    const fromContext = contextPurpose(context);
    const intent = structuredIntent(query, this.knownDataTypes);
    if (intent.purpose !== null) return intent;
    const p = this.purposes.fallback(fromContext);
    return { ...intent, purpose: p.purpose, purposeSource: p.source };
  }

  private now(): Date {
    const now = this.clock();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
      throw new NautilusError(
        'NAU_INTERNAL',
        'intent analysis: the clock returned an invalid Date',
        500,
      );
    }
    return now;
  }

  private unclear(intent: Intent): NautilusError {
    const known = this.knownDataTypes;
    const listed =
      known.slice(0, LISTED_KNOWN).join(', ') + (known.length > LISTED_KNOWN ? ', …' : '');
    const message =
      `the request is not clear enough to act on (confidence ${intent.confidence.toFixed(2)}, ` +
      `threshold ${this.confidenceThreshold.toFixed(2)}). Understood: ${describe(intent)}. ` +
      (intent.dataTypes.length === 0
        ? `Name a data type (known: ${listed || 'none'}), or send `
        : 'Rephrase it, or send ') +
      'a structured query instead: query(agentId, {dataTypes, filters, purpose}).';
    return new NautilusError('NAU_INTENT_UNCLEAR', message, 422, {
      field: 'intent',
      confidence: intent.confidence,
      threshold: this.confidenceThreshold,
      understood: {
        dataTypes: intent.dataTypes,
        purpose: intent.purpose,
        filters: intent.filters,
        matches: intent.matches,
      },
      knownDataTypes: known,
    });
  }
}

function describe(intent: Intent): string {
  const dataTypes =
    intent.dataTypes.length === 0
      ? 'no data type'
      : `data types ${intent.matches
          .filter((m) => !m.negated)
          .map((m) => `${m.dataType} (from "${m.keyword}")`)
          .join(', ')}`;
  const refused = intent.matches.filter((m) => m.negated).map((m) => m.dataType);
  const purpose =
    intent.purpose === null
      ? 'no purpose'
      : `purpose ${intent.purpose} (${intent.purposeSource === 'text' ? `from "${intent.purposeKeyword}"` : `from the ${intent.purposeSource}`})`;
  const filters =
    intent.filters.length === 0
      ? 'no filters'
      : `filters ${intent.filters.map((f) => `${f.field} ${f.operator} ${JSON.stringify(f.value)}`).join('; ')}`;
  const parts = [dataTypes, purpose, filters];
  if (refused.length > 0) parts.splice(1, 0, `excluded ${unique(refused).join(', ')}`);
  return parts.join('; ');
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function uniqueMatches(matches: readonly IntentMatch[]): IntentMatch[] {
  const seen = new Set<string>();
  return matches.filter((m) => {
    const key = JSON.stringify([m.dataType, m.keyword, m.negated]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
