// The condition operators: their names, argument counts and which slot types they apply to.
// Shared by the compiler (what to emit) and the docs/tests (what exists).

export interface OperatorSpec {
  readonly min: number;
  readonly max: number;
  /** Slot types the operator applies to; undefined = any. */
  readonly types?: ReadonlyArray<'string' | 'symbol' | 'integer' | 'float' | 'multislot'>;
  readonly usage: string;
}

const LEXEME = ['string', 'symbol'] as const;
const NUMERIC = ['integer', 'float'] as const;

export const OPERATORS: Readonly<Record<string, OperatorSpec>> = {
  equals: { min: 0, max: 1, usage: 'equals(value)' },
  not_equals: { min: 1, max: 1, types: [...LEXEME, ...NUMERIC], usage: 'not_equals(value)' },
  greater_than: { min: 1, max: 1, types: NUMERIC, usage: 'greater_than(number)' },
  less_than: { min: 1, max: 1, types: NUMERIC, usage: 'less_than(number)' },
  in: { min: 1, max: -1, types: [...LEXEME, ...NUMERIC], usage: 'in([a, b, ...])' },
  not_in: { min: 1, max: -1, types: [...LEXEME, ...NUMERIC], usage: 'not_in([a, b, ...])' },
  contains: { min: 1, max: 1, types: [...LEXEME, 'multislot'], usage: 'contains(value)' },
  matches: { min: 1, max: 1, types: LEXEME, usage: 'matches("regex")' },
  below: { min: 1, max: 2, types: LEXEME, usage: 'below(level[, hierarchy])' },
  meets_or_exceeds: {
    min: 1,
    max: 2,
    types: LEXEME,
    usage: 'meets_or_exceeds(level[, hierarchy])',
  },
  within_scope: { min: 1, max: 2, types: LEXEME, usage: 'within_scope(level[, hierarchy])' },
  dominates: { min: 1, max: 2, types: LEXEME, usage: 'dominates(level[, hierarchy])' },
  in_compartment: {
    min: 1,
    max: 1,
    types: [...LEXEME, 'multislot'],
    usage: 'in_compartment(name)',
  },
  has_compartments: {
    min: 1,
    max: 1,
    types: [...LEXEME, 'multislot'],
    usage: 'has_compartments("a|b")',
  },
  changed_within: { min: 1, max: 1, types: NUMERIC, usage: 'changed_within(seconds)' },
  count_exceeds: { min: 4, max: 4, usage: 'count_exceeds(template, slot, value, n)' },
  rate_exceeds: {
    min: 5,
    max: 6,
    usage: 'rate_exceeds(template, slot, value, n, window[, ts_slot])',
  },
  last_n: { min: 4, max: 4, usage: 'last_n(template, slot, value, n)' },
  distinct_count: { min: 4, max: 4, usage: 'distinct_count(template, group_slot, count_slot, n)' },
  sequence_detected: { min: 2, max: 2, usage: 'sequence_detected(events_json, window)' },
};

/** Operators whose test does not read the slot value (it queries working memory instead). */
export const WORKING_MEMORY_OPERATORS = new Set([
  'count_exceeds',
  'rate_exceeds',
  'last_n',
  'distinct_count',
  'sequence_detected',
]);

/** Classification operators -> suffix of the generated host function. */
export const CLASSIFICATION_OPERATORS: Readonly<Record<string, string>> = {
  below: 'below',
  meets_or_exceeds: 'meets-or-exceeds',
  within_scope: 'within-scope',
};
