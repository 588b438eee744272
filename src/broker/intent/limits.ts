// Size limits on what a caller can send. They bound the work one request can cause, including
// the worst case of the custom filter patterns (see filters/regex-safety.ts).

/** Longest accepted request text, in UTF-16 code units (JavaScript string length). */
export const MAX_INTENT_LENGTH = 4096;

/** Default `analysis.confidence_threshold`. */
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.5;

/** Structured queries: most filters, most items in one IN / NOT IN list, longest string value. */
export const MAX_STRUCTURED_FILTERS = 64;
export const MAX_FILTER_LIST_ITEMS = 1000;
export const MAX_FILTER_STRING_LENGTH = 4096;

/** Longest data type or filter field name. */
export const MAX_NAME_LENGTH = 128;
