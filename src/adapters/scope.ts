// Scope validation, run before any query. Every constraint is checked (operator, field, value
// shape, validity window) and either the whole scope is usable, or the source is denied, or the
// scope is refused as invalid. A constraint is never dropped: dropping one widens the result set.
import { AdapterFailure } from './failure.ts';
import {
  REST_FIELD_MAX,
  REST_FIELD_RE,
  SQL_IDENTIFIER_MAX,
  SQL_IDENTIFIER_RE,
} from './identifiers.ts';
import { parseIsoDateTime } from './timestamp.ts';
import type { ScopeConstraint, ScopeOperator, ScopeScalar, SourceKind } from './types.ts';

export const SCOPE_OPERATORS: readonly ScopeOperator[] = [
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
];

/** Bounds on what one request may carry, so a runaway rule cannot build a giant query. */
export const MAX_CONSTRAINTS = 256;
export const MAX_IN_VALUES = 1000;
export const MAX_STRING_VALUE = 10_000;

/** A constraint that passed validation, with its value(s) as a flat list. */
export interface CheckedConstraint {
  /** Position in the scope list as given (messages name it). */
  readonly index: number;
  readonly field: string;
  readonly operator: ScopeOperator;
  /** None for IS NULL / IS NOT NULL, two for BETWEEN, one or more for IN / NOT IN, else one. */
  readonly values: readonly ScopeScalar[];
  readonly rule?: string;
}

export type ScopeDenialReason = 'scope-expired' | 'scope-not-yet-valid';

export interface ScopeDenial {
  readonly reason: ScopeDenialReason;
  readonly constraintIndex: number;
  readonly field: string;
  readonly rule?: string;
  /** The expiresAt / validFrom that decided it, as written. */
  readonly at: string;
  readonly message: string;
}

export type ScopeCheck =
  | { readonly ok: true; readonly constraints: readonly CheckedConstraint[] }
  | { readonly ok: false; readonly denial: ScopeDenial };

/** What scope validation needs to know about the source. */
export interface ScopeTarget {
  readonly id: string;
  readonly type: SourceKind;
  readonly allowedColumns?: readonly string[] | null | undefined;
}

const isScalar = (v: unknown): v is ScopeScalar =>
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v)) ||
  (typeof v === 'string' && v.length <= MAX_STRING_VALUE);

function describe(v: unknown): string {
  if (v === undefined) return 'no value';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.length > MAX_STRING_VALUE)
    return `a string of ${v.length} characters (at most ${MAX_STRING_VALUE})`;
  return `a ${typeof v}`;
}

class Checker {
  constructor(
    private readonly target: ScopeTarget,
    private readonly index: number,
    private readonly field: string | undefined,
    private readonly rule: string | undefined,
  ) {}

  fail(problem: string): never {
    const about = [
      this.field === undefined ? undefined : `field ${JSON.stringify(this.field)}`,
      this.rule === undefined ? undefined : `rule ${this.rule}`,
    ].filter((s) => s !== undefined);
    const where = `scope[${this.index}]${about.length > 0 ? ` (${about.join(', ')})` : ''}`;
    throw new AdapterFailure('scope_rejected', this.target.id, `${where}: ${problem}`, {
      code: 'NAU_SCOPE_INVALID',
      status: 400,
      detail: {
        constraint: this.index,
        ...(this.field === undefined ? {} : { field: this.field }),
        ...(this.rule === undefined ? {} : { rule: this.rule }),
        problem,
      },
    });
  }
}

function checkField(c: Checker, field: string, target: ScopeTarget): void {
  const rest = target.type === 'rest';
  const re = rest ? REST_FIELD_RE : SQL_IDENTIFIER_RE;
  const max = rest ? REST_FIELD_MAX : SQL_IDENTIFIER_MAX;
  if (field.length > max) c.fail(`field name is longer than ${max} characters`);
  if (!re.test(field))
    c.fail(
      rest
        ? 'field must be a plain name (letters, digits, _, . and -, not starting with a digit)'
        : 'field must be a plain column name (letters, digits and _, not starting with a digit)',
    );
  const allowed = target.allowedColumns;
  if (allowed !== undefined && allowed !== null && !allowed.includes(field))
    c.fail(`field is not one of the allowed_columns of source ${target.id}`);
}

function checkValues(c: Checker, op: ScopeOperator, value: unknown): ScopeScalar[] {
  switch (op) {
    case 'IS NULL':
    case 'IS NOT NULL':
      if (value !== undefined && value !== null)
        c.fail(`${op} takes no value, got ${describe(value)}`);
      return [];
    case 'IN':
    case 'NOT IN': {
      if (!Array.isArray(value)) c.fail(`${op} needs a list of values, got ${describe(value)}`);
      if (value.length === 0) c.fail(`${op} needs at least one value, got an empty list`);
      if (value.length > MAX_IN_VALUES)
        c.fail(`${op} takes at most ${MAX_IN_VALUES} values, got ${value.length}`);
      value.forEach((v, i) => {
        if (!isScalar(v))
          c.fail(`${op} value [${i}] must be a string, number or boolean, got ${describe(v)}`);
      });
      return [...value];
    }
    case 'BETWEEN': {
      if (!Array.isArray(value) || value.length !== 2)
        c.fail(`BETWEEN needs a list of exactly two values [low, high], got ${describe(value)}`);
      const [lo, hi] = value as unknown[];
      if (!isScalar(lo) || typeof lo === 'boolean')
        c.fail(`BETWEEN low bound must be a string or number, got ${describe(lo)}`);
      if (!isScalar(hi) || typeof hi === 'boolean')
        c.fail(`BETWEEN high bound must be a string or number, got ${describe(hi)}`);
      return [lo, hi];
    }
    case 'LIKE':
      if (typeof value !== 'string' || !isScalar(value))
        c.fail(`LIKE needs a string pattern, got ${describe(value)}`);
      return [value];
    case '<':
    case '>':
    case '<=':
    case '>=':
      if (!isScalar(value) || typeof value === 'boolean')
        c.fail(`${op} needs a string or number, got ${describe(value)}`);
      return [value];
    case '=':
    case '!=':
      if (!isScalar(value))
        c.fail(
          value === null
            ? `${op} cannot compare with null; use IS NULL or IS NOT NULL`
            : `${op} needs a string, number or boolean, got ${describe(value)}`,
        );
      return [value];
  }
}

interface Window {
  readonly validFrom?: { text: string; ms: number };
  readonly expiresAt?: { text: string; ms: number };
}

function checkWindow(c: Checker, raw: Record<string, unknown>): Window {
  const read = (key: 'validFrom' | 'expiresAt') => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') c.fail(`${key} must be an ISO-8601 string, got ${describe(v)}`);
    const parsed = parseIsoDateTime(v);
    if ('problem' in parsed) c.fail(`${key} ${JSON.stringify(v)} ${parsed.problem}`);
    return { text: v, ms: parsed.ms };
  };
  const validFrom = read('validFrom');
  const expiresAt = read('expiresAt');
  if (validFrom !== undefined && expiresAt !== undefined && expiresAt.ms <= validFrom.ms)
    c.fail(`expiresAt ${expiresAt.text} is not after validFrom ${validFrom.text}`);
  return {
    ...(validFrom === undefined ? {} : { validFrom }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/**
 * Validates a scope for a source at time `now`. Throws AdapterFailure `NAU_SCOPE_INVALID` (400,
 * class `scope_rejected`) naming the constraint index, field and problem. Returns a denial when a
 * constraint is outside its validity window: the broker must deny the source, not query it.
 */
export function checkScope(
  scope: readonly ScopeConstraint[],
  target: ScopeTarget,
  now: Date,
): ScopeCheck {
  if (!Array.isArray(scope))
    new Checker(target, 0, undefined, undefined).fail('the scope must be a list of constraints');
  if (scope.length > MAX_CONSTRAINTS)
    new Checker(target, MAX_CONSTRAINTS, undefined, undefined).fail(
      `a scope may hold at most ${MAX_CONSTRAINTS} constraints, got ${scope.length}`,
    );
  const nowMs = now.getTime();
  const constraints: CheckedConstraint[] = [];
  let denial: ScopeDenial | undefined;
  scope.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      new Checker(target, index, undefined, undefined).fail(
        `a constraint must be an object, got ${describe(item)}`,
      );
    const raw = item as Record<string, unknown>;
    const rule = typeof raw.rule === 'string' ? raw.rule : undefined;
    const field = typeof raw.field === 'string' ? raw.field : undefined;
    const c: Checker = new Checker(target, index, field, rule);
    if (raw.rule !== undefined && raw.rule !== null && rule === undefined)
      c.fail(`rule must be a string, got ${describe(raw.rule)}`);
    if (field === undefined) c.fail(`field must be a string, got ${describe(raw.field)}`);
    checkField(c, field, target);
    const op = raw.operator;
    if (typeof op !== 'string' || !(SCOPE_OPERATORS as readonly string[]).includes(op))
      c.fail(
        `operator ${typeof op === 'string' ? JSON.stringify(op) : describe(op)} is not one of ${SCOPE_OPERATORS.join(', ')}`,
      );
    const operator = op as ScopeOperator;
    const values = checkValues(c, operator, raw.value);
    const window = checkWindow(c, raw);
    constraints.push({ index, field, operator, values, ...(rule === undefined ? {} : { rule }) });
    if (denial !== undefined) return;
    const base = { constraintIndex: index, field, ...(rule === undefined ? {} : { rule }) };
    if (window.expiresAt !== undefined && window.expiresAt.ms <= nowMs)
      denial = {
        ...base,
        reason: 'scope-expired',
        at: window.expiresAt.text,
        message: `scope[${index}] (field ${field}) expired at ${window.expiresAt.text}`,
      };
    else if (window.validFrom !== undefined && window.validFrom.ms > nowMs)
      denial = {
        ...base,
        reason: 'scope-not-yet-valid',
        at: window.validFrom.text,
        message: `scope[${index}] (field ${field}) is not valid before ${window.validFrom.text}`,
      };
  });
  return denial === undefined ? { ok: true, constraints } : { ok: false, denial };
}

/**
 * checkScope for adapters: a denial becomes an AdapterFailure (`NAU_SCOPE_EXPIRED` or
 * `NAU_SCOPE_NOT_YET_VALID`, 403, class `scope_rejected`, `detail.denial`), so an adapter called
 * without the broker's own check still refuses to run with a scope out of its window.
 */
export function requireScope(
  scope: readonly ScopeConstraint[],
  target: ScopeTarget,
  now: Date,
): readonly CheckedConstraint[] {
  const checked = checkScope(scope, target, now);
  if (checked.ok) return checked.constraints;
  const d = checked.denial;
  throw new AdapterFailure('scope_rejected', target.id, `denied: ${d.message}`, {
    code: d.reason === 'scope-expired' ? 'NAU_SCOPE_EXPIRED' : 'NAU_SCOPE_NOT_YET_VALID',
    status: 403,
    detail: { denial: d, constraint: d.constraintIndex, field: d.field },
  });
}
