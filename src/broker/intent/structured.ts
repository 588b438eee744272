// Structured queries: `query(agentId, {dataTypes, filters, purpose})`, the exact alternative to
// natural language. Validated strictly (unknown keys and data types are errors with a
// did-you-mean) and returned as the same Intent type, with confidence 1 and structured: true.
import { quote, requestInvalid } from './errors.ts';
import { validateFilter } from './filter-shape.ts';
import { MAX_NAME_LENGTH, MAX_STRUCTURED_FILTERS } from './limits.ts';
import { didYouMean } from './suggest.ts';
import type { Intent, IntentFilter } from './types.ts';
import { isPlainObject } from './vocabulary.ts';

const QUERY_KEYS = new Set(['dataTypes', 'filters', 'purpose']);
const LISTED_KNOWN = 20;

export function structuredIntent(query: unknown, knownDataTypes: Iterable<string>): Intent {
  if (!isPlainObject(query)) {
    throw requestInvalid(
      'a structured query must be an object {dataTypes, filters?, purpose?}',
      'query',
    );
  }
  for (const key of Object.keys(query)) {
    if (!QUERY_KEYS.has(key)) {
      throw requestInvalid(
        `unknown key ${quote(key)} in the structured query${didYouMean(key, QUERY_KEYS)}`,
        key,
      );
    }
  }
  const known = [...knownDataTypes];
  return {
    raw: '',
    dataTypes: dataTypes(query.dataTypes, known),
    purpose: purpose(query.purpose),
    purposeSource: typeof query.purpose === 'string' ? 'query' : null,
    purposeKeyword: null,
    filters: filters(query.filters),
    entities: [],
    confidence: 1,
    structured: true,
    matches: [],
  };
}

function dataTypes(value: unknown, known: readonly string[]): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw requestInvalid('dataTypes must be a non-empty list of data type names', 'dataTypes');
  }
  const knownSet = new Set(known);
  const out = new Set<string>();
  value.forEach((dt: unknown, i) => {
    if (typeof dt !== 'string' || !knownSet.has(dt)) {
      const shown = typeof dt === 'string' ? quote(dt) : `a ${dt === null ? 'null' : typeof dt}`;
      const hint = typeof dt === 'string' ? didYouMean(dt, known) : '';
      const list =
        known.slice(0, LISTED_KNOWN).join(', ') + (known.length > LISTED_KNOWN ? ', …' : '');
      throw requestInvalid(
        `dataTypes[${i}]: ${shown} is not a known data type${hint}; known: ${list || '(none)'}`,
        `dataTypes[${i}]`,
      );
    }
    out.add(dt);
  });
  return [...out];
}

function filters(value: unknown): IntentFilter[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw requestInvalid('filters must be a list of {field, operator, value}', 'filters');
  if (value.length > MAX_STRUCTURED_FILTERS) {
    throw requestInvalid(
      `filters holds ${value.length} filters; at most ${MAX_STRUCTURED_FILTERS} are allowed`,
      'filters',
    );
  }
  return value.map((f: unknown, i) => validateFilter(f, `filters[${i}]`));
}

function purpose(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (
    typeof value !== 'string' ||
    value === '' ||
    value.length > MAX_NAME_LENGTH ||
    value.trim() !== value
  ) {
    throw requestInvalid(
      `purpose must be a non-empty string of at most ${MAX_NAME_LENGTH} characters without surrounding spaces`,
      'purpose',
    );
  }
  return value;
}
