export { IntentAnalyzer } from './analyzer.ts';
export { confidenceScore } from './confidence.ts';
export { FIELD_NAME, parseOperator, validateFilter } from './filter-shape.ts';
export { BACKTRACK_BUDGET, regexHazard } from './filters/index.ts';
export {
  DEFAULT_CONFIDENCE_THRESHOLD,
  MAX_FILTER_LIST_ITEMS,
  MAX_FILTER_STRING_LENGTH,
  MAX_INTENT_LENGTH,
  MAX_STRUCTURED_FILTERS,
} from './limits.ts';
export { stem } from './stem.ts';
export { structuredIntent } from './structured.ts';
export {
  type AnalysisContext,
  type CustomPattern,
  FILTER_OPERATORS,
  type FilterOperator,
  type FilterScalar,
  type Intent,
  type IntentAnalyzerOptions,
  type IntentFilter,
  type IntentMatch,
  type IntentSource,
  type PurposeSource,
  type StructuredQuery,
} from './types.ts';
