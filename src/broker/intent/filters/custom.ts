// Custom filter patterns (`analysis.patterns: [{name, regex, field, operator?, case_sensitive?}]`;
// the option object spells the last one `caseSensitive`).
// Each regex is validated and compiled once, when the analyzer is built. At analysis time every
// match becomes a value for `field`: capture group 1 when the regex has a capture group (a named
// group `value` takes precedence), the whole match otherwise. With IN / NOT IN (the default is IN)
// the distinct values form one filter; with a single-valued operator each distinct value is its own
// filter (filters are combined with AND). Empty matches are skipped.
import { configInvalid, quote } from '../errors.ts';
import { FIELD_NAME, parseOperator } from '../filter-shape.ts';
import { MAX_NAME_LENGTH } from '../limits.ts';
import { didYouMean } from '../suggest.ts';
import {
  type CustomPattern,
  FILTER_OPERATORS,
  type FilterOperator,
  type IntentFilter,
} from '../types.ts';
import { isPlainObject } from '../vocabulary.ts';
import { regexHazard } from './regex-safety.ts';

export interface CompiledPattern {
  readonly name: string;
  readonly field: string;
  readonly operator: FilterOperator;
  readonly regex: RegExp;
}

/** Operators whose value is not one matched string. */
const UNSUPPORTED: ReadonlySet<FilterOperator> = new Set(['BETWEEN', 'IS NULL', 'IS NOT NULL']);
const MAX_REGEX_LENGTH = 1000;

export function compilePatterns(patterns: readonly CustomPattern[] = []): CompiledPattern[] {
  const base = ['analysis', 'patterns'];
  if (!Array.isArray(patterns)) throw configInvalid('must be a list of patterns', base);
  const names = new Set<string>();
  return patterns.map((p: unknown, i) => {
    const at = (key?: string) => (key === undefined ? [...base, i] : [...base, i, key]);
    if (!isPlainObject(p)) {
      throw configInvalid('must be a mapping {name, regex, field, operator?}', at());
    }
    const { name, regex, field } = p;
    if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH) {
      throw configInvalid(
        `must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
        at('name'),
      );
    }
    if (names.has(name)) throw configInvalid(`duplicate pattern name ${quote(name)}`, at('name'));
    names.add(name);
    const where = `pattern ${quote(name)}`;
    if (typeof field !== 'string' || field.length > MAX_NAME_LENGTH || !FIELD_NAME.test(field)) {
      throw configInvalid(
        `${where}: field must be an identifier such as host_name or asset.owner`,
        at('field'),
      );
    }
    const operator = patternOperator(p.operator, where, at('operator'));
    if (p.caseSensitive !== undefined && typeof p.caseSensitive !== 'boolean') {
      throw configInvalid(`${where}: must be true or false`, at('case_sensitive'));
    }
    if (typeof regex !== 'string' || regex === '' || regex.length > MAX_REGEX_LENGTH) {
      throw configInvalid(
        `${where}: regex must be a non-empty string of at most ${MAX_REGEX_LENGTH} characters`,
        at('regex'),
      );
    }
    let compiled: RegExp;
    try {
      compiled = new RegExp(regex, p.caseSensitive === true ? 'gu' : 'giu');
    } catch (e) {
      throw configInvalid(
        `${where}: invalid regular expression: ${(e as Error).message}`,
        at('regex'),
      );
    }
    const hazard = regexHazard(regex);
    if (hazard !== null) throw configInvalid(`${where}: regex rejected: ${hazard}`, at('regex'));
    if (new RegExp(regex, compiled.flags.replace('g', '')).test('')) {
      throw configInvalid(`${where}: regex matches the empty string`, at('regex'));
    }
    return { name, field, operator, regex: compiled };
  });
}

function patternOperator(value: unknown, where: string, path: (string | number)[]): FilterOperator {
  if (value === undefined) return 'IN';
  const known = parseOperator(value);
  if (known === undefined) {
    const hint = typeof value === 'string' ? didYouMean(value, FILTER_OPERATORS) : '';
    throw configInvalid(`${where}: unknown operator ${quote(String(value))}${hint}`, path);
  }
  if (UNSUPPORTED.has(known)) {
    throw configInvalid(`${where}: operator ${known} cannot take a matched value`, path);
  }
  return known;
}

export interface PatternResult {
  readonly filters: IntentFilter[];
  readonly values: string[];
}

export function applyPatterns(patterns: readonly CompiledPattern[], text: string): PatternResult {
  const filters: IntentFilter[] = [];
  const all: string[] = [];
  for (const p of patterns) {
    const values = new Set<string>();
    for (const m of text.matchAll(p.regex)) {
      const v = m.groups?.value ?? (m.length > 1 ? m[1] : m[0]);
      if (v !== undefined && v !== '') values.add(v);
    }
    if (values.size === 0) continue;
    const list = [...values];
    all.push(...list);
    if (p.operator === 'IN' || p.operator === 'NOT IN') {
      filters.push({ field: p.field, operator: p.operator, value: list });
    } else {
      for (const v of list) filters.push({ field: p.field, operator: p.operator, value: v });
    }
  }
  return { filters, values: all };
}
