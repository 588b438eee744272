// The structured intent the broker hands to routing, and the analyzer's options. Plain data only:
// the broker turns an Intent into `intent` / `intent_filter` facts.

/** Comparison operators a filter may use (the same set adapters accept for scope constraints). */
export const FILTER_OPERATORS = [
  '=',
  '!=',
  'IN',
  'NOT IN',
  '<',
  '>',
  '<=',
  '>=',
  'LIKE',
  'BETWEEN',
  'IS NULL',
  'IS NOT NULL',
] as const;

export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export type FilterScalar = string | number | boolean;

/**
 * One row-narrowing condition the caller asked for. `value` is a list for `IN`, `NOT IN` and
 * `BETWEEN` (two items), `null` for `IS NULL` / `IS NOT NULL`, a scalar otherwise. Filters narrow
 * what the agent asked for; they are not access control (that is the policy's scope).
 */
export interface IntentFilter {
  readonly field: string;
  readonly operator: FilterOperator;
  readonly value: FilterScalar | readonly FilterScalar[] | null;
}

/** One keyword occurrence that named a data type (`negated`: "without PII", "no financial"). */
export interface IntentMatch {
  readonly dataType: string;
  /** The vocabulary keyword as configured (or generated), e.g. `asset inventory`. */
  readonly keyword: string;
  readonly negated: boolean;
}

/** Where the purpose came from: a purpose_map keyword in the text, the caller's context, a
 * structured query's own `purpose`, or `analysis.default_purpose`. */
export type PurposeSource = 'text' | 'context' | 'query' | 'default';

export interface Intent {
  /** The request text as given ('' for a structured query). */
  readonly raw: string;
  /** Requested data types, by first occurrence in the text (structured: as given, deduplicated). */
  readonly dataTypes: readonly string[];
  readonly purpose: string | null;
  readonly purposeSource: PurposeSource | null;
  /** The purpose_map keyword that matched when `purposeSource` is `text`, else null. */
  readonly purposeKeyword: string | null;
  readonly filters: readonly IntentFilter[];
  /** Identifiers found in the text (CVE ids, IPv4 addresses, custom pattern values), in order. */
  readonly entities: readonly string[];
  /** In [0, 1], two decimals; see docs/intent.md for the formula. */
  readonly confidence: number;
  readonly structured: boolean;
  readonly matches: readonly IntentMatch[];
}

/** A registered source as far as intent analysis cares: the data types it serves. */
export interface IntentSource {
  readonly id: string;
  readonly dataTypes: readonly string[];
}

/** A custom filter pattern (`analysis.patterns[]`). */
export interface CustomPattern {
  readonly name: string;
  /** JavaScript regular expression source, compiled with the `u` flag (and `i` unless caseSensitive). */
  readonly regex: string;
  readonly field: string;
  /** Default `IN`. `BETWEEN`, `IS NULL` and `IS NOT NULL` are not allowed. */
  readonly operator?: FilterOperator | undefined;
  readonly caseSensitive?: boolean | undefined;
}

export interface IntentAnalyzerOptions {
  readonly sources: readonly IntentSource[];
  /** `{dataType: [keyword or multi-word phrase]}`; replaces the words generated from that name. */
  readonly keywordMap?: Readonly<Record<string, readonly string[]>> | undefined;
  /** `{purpose: [keyword]}`; the first purpose (in map order) with a matching keyword wins. */
  readonly purposeMap?: Readonly<Record<string, readonly string[]>> | undefined;
  readonly defaultPurpose?: string | null | undefined;
  readonly patterns?: readonly CustomPattern[] | undefined;
  /** In [0, 1]; default 0.5. */
  readonly confidenceThreshold?: number | undefined;
  /** The broker's clock; relative dates are computed from it (UTC calendar days). */
  readonly clock?: (() => Date) | undefined;
}

/** What a caller may add to a natural-language request. */
export interface AnalysisContext {
  readonly purpose?: string | null | undefined;
}

/** The structured alternative to natural language: `query(agentId, {dataTypes, filters, purpose})`. */
export interface StructuredQuery {
  readonly dataTypes: readonly string[];
  readonly filters?: readonly IntentFilter[];
  readonly purpose?: string | null;
}
