// Shape validation of filters supplied by a caller (structured queries): a known operator, a field
// that is a plain identifier path, and a value of the form the operator needs. Values are scalars
// (string, finite number, boolean); lists and strings are size-capped.
import { requestInvalid } from './errors.ts';
import { MAX_FILTER_LIST_ITEMS, MAX_FILTER_STRING_LENGTH, MAX_NAME_LENGTH } from './limits.ts';
import { didYouMean } from './suggest.ts';
import {
  FILTER_OPERATORS,
  type FilterOperator,
  type FilterScalar,
  type IntentFilter,
} from './types.ts';
import { isPlainObject } from './vocabulary.ts';

/** `host_name`, `asset.owner`: letters, digits and `_`, dot-separated, not starting with a digit. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const LIST_OPERATORS: ReadonlySet<FilterOperator> = new Set(['IN', 'NOT IN']);
const NULL_OPERATORS: ReadonlySet<FilterOperator> = new Set(['IS NULL', 'IS NOT NULL']);
const FILTER_KEYS = new Set(['field', 'operator', 'value']);

/** Canonical spelling of an operator ("not in" -> "NOT IN"), or undefined. */
export function parseOperator(value: unknown): FilterOperator | undefined {
  if (typeof value !== 'string') return undefined;
  const op = value.trim().toUpperCase().replace(/\s+/g, ' ');
  return FILTER_OPERATORS.find((o) => o === op);
}

export function validateFilter(input: unknown, at: string): IntentFilter {
  if (!isPlainObject(input))
    throw requestInvalid(`${at} must be an object {field, operator, value}`, at);
  for (const key of Object.keys(input)) {
    if (!FILTER_KEYS.has(key)) {
      throw requestInvalid(
        `${at}: unknown key ${JSON.stringify(key)}${didYouMean(key, FILTER_KEYS)}`,
        `${at}.${key}`,
      );
    }
  }
  const { field, operator: rawOperator, value } = input;
  if (typeof field !== 'string' || field.length > MAX_NAME_LENGTH || !FIELD_NAME.test(field)) {
    throw requestInvalid(
      `${at}.field must be an identifier such as severity or asset.owner (at most ${MAX_NAME_LENGTH} characters)`,
      `${at}.field`,
    );
  }
  const operator = parseOperator(rawOperator);
  if (operator === undefined) {
    const hint = typeof rawOperator === 'string' ? didYouMean(rawOperator, FILTER_OPERATORS) : '';
    throw requestInvalid(
      `${at}.operator ${JSON.stringify(String(rawOperator).slice(0, 20))} is not one of ${FILTER_OPERATORS.join(', ')}${hint}`,
      `${at}.operator`,
    );
  }
  const where = `${at}.value`;
  if (NULL_OPERATORS.has(operator)) {
    if (value !== undefined && value !== null)
      throw requestInvalid(`${where} must be absent or null for ${operator}`, where);
    return { field, operator, value: null };
  }
  if (LIST_OPERATORS.has(operator) || operator === 'BETWEEN') {
    if (!Array.isArray(value))
      throw requestInvalid(`${where} must be a list for ${operator}`, where);
    if (operator === 'BETWEEN' && value.length !== 2) {
      throw requestInvalid(`${where} must be a list of two values [low, high] for BETWEEN`, where);
    }
    if (value.length === 0 || value.length > MAX_FILTER_LIST_ITEMS) {
      throw requestInvalid(
        `${where} must hold 1 to ${MAX_FILTER_LIST_ITEMS} values for ${operator}`,
        where,
      );
    }
    return { field, operator, value: value.map((v: unknown, i) => scalar(v, `${where}[${i}]`)) };
  }
  return { field, operator, value: scalar(value, where) };
}

function scalar(v: unknown, where: string): FilterScalar {
  if (typeof v === 'string') {
    if (v.length > MAX_FILTER_STRING_LENGTH) {
      throw requestInvalid(`${where} is longer than ${MAX_FILTER_STRING_LENGTH} characters`, where);
    }
    return v;
  }
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v;
  throw requestInvalid(`${where} must be a string, a finite number or a boolean`, where);
}
