import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  AdapterFailure,
  checkScope,
  MAX_IN_VALUES,
  requireScope,
  type ScopeConstraint,
  type ScopeTarget,
} from '../../src/adapters/index.ts';
import { parseIsoDateTime } from '../../src/adapters/timestamp.ts';

const sql: ScopeTarget = { id: 'vulns', type: 'sqlite' };
const rest: ScopeTarget = { id: 'api', type: 'rest' };
const NOW = new Date('2025-06-30T12:00:00Z');

function invalid(scope: unknown, target: ScopeTarget = sql): AdapterFailure {
  try {
    checkScope(scope as ScopeConstraint[], target, NOW);
  } catch (e) {
    assert.ok(e instanceof AdapterFailure, String(e));
    assert.equal(e.code, 'NAU_SCOPE_INVALID');
    assert.equal(e.status, 400);
    assert.equal(e.failureClass, 'scope_rejected');
    return e;
  }
  assert.fail(`scope was accepted: ${JSON.stringify(scope)}`);
}

describe('checkScope: shapes', () => {
  test('accepts every operator with its value shape and flattens the values', () => {
    const scope: ScopeConstraint[] = [
      { field: 'a', operator: '=', value: 'x' },
      { field: 'a', operator: '!=', value: 3 },
      { field: 'a', operator: 'IN', value: ['x', 2, true] },
      { field: 'a', operator: 'NOT IN', value: ['y'] },
      { field: 'a', operator: '<', value: 1 },
      { field: 'a', operator: '>', value: 'b' },
      { field: 'a', operator: '<=', value: 1.5 },
      { field: 'a', operator: '>=', value: -2 },
      { field: 'a', operator: 'LIKE', value: '%x_' },
      { field: 'a', operator: 'BETWEEN', value: [1, 9] },
      { field: 'a', operator: 'IS NULL' },
      { field: 'a', operator: 'IS NOT NULL' },
    ];
    const r = checkScope(scope, sql, NOW);
    assert.ok(r.ok);
    assert.deepEqual(
      r.constraints.map((c) => c.values),
      [['x'], [3], ['x', 2, true], ['y'], [1], ['b'], [1.5], [-2], ['%x_'], [1, 9], [], []],
    );
    assert.deepEqual(
      r.constraints.map((c) => c.index),
      scope.map((_, i) => i),
    );
  });

  test('an unknown operator names the index, field and rule', () => {
    for (const op of ['==', 'like', 'OR', 'in', '; DROP', '']) {
      const e = invalid([
        { field: 'ok', operator: '=', value: 1 },
        { field: 'sev', operator: op, value: 1, rule: 'r7' },
      ]);
      assert.match(e.message, /scope\[1\] \(field "sev", rule r7\): operator/);
      assert.equal(e.detail.constraint, 1);
      assert.equal(e.detail.field, 'sev');
    }
  });

  test('field names must be plain identifiers (SQL), at most 63 characters', () => {
    for (const field of [
      'id; DROP TABLE x',
      '"id"',
      'id--',
      'id/*',
      '',
      '1id',
      'a.b',
      'a b',
      'é',
      'x'.repeat(64),
    ])
      invalid([{ field, operator: '=', value: 1 }]);
    assert.ok(checkScope([{ field: `_${'x'.repeat(62)}`, operator: '=', value: 1 }], sql, NOW).ok);
  });

  test('REST fields may hold . and -, nothing else', () => {
    assert.ok(checkScope([{ field: 'user.id', operator: '=', value: 1 }], rest, NOW).ok);
    assert.ok(checkScope([{ field: 'x-team', operator: '=', value: 1 }], rest, NOW).ok);
    for (const field of ['a&b', 'a=b', 'a b', '-a', 'a#'])
      invalid([{ field, operator: '=', value: 1 }], rest);
  });

  test('allowed_columns limits the fields a constraint may name', () => {
    const target = { ...sql, allowedColumns: ['id', 'severity'] };
    assert.ok(checkScope([{ field: 'severity', operator: '=', value: 'high' }], target, NOW).ok);
    const e = invalid([{ field: 'owner_ssn', operator: 'IS NOT NULL' }], target);
    assert.match(e.message, /allowed_columns/);
  });

  test('value shapes are checked per operator', () => {
    const bad: [string, unknown][] = [
      ['IN', 'x'],
      ['IN', []],
      ['IN', Array.from({ length: MAX_IN_VALUES + 1 }, (_, i) => i)],
      ['IN', [['nested']]],
      ['IN', [{ a: 1 }]],
      ['IN', [null]],
      ['NOT IN', undefined],
      ['BETWEEN', [1]],
      ['BETWEEN', [1, 2, 3]],
      ['BETWEEN', 5],
      ['BETWEEN', [true, 2]],
      ['IS NULL', 1],
      ['IS NOT NULL', 'x'],
      ['LIKE', 5],
      ['LIKE', ['%a%']],
      ['<', true],
      ['>=', [1]],
      ['=', undefined],
      ['=', { $ne: 1 }],
      ['=', Number.NaN],
      ['!=', Number.POSITIVE_INFINITY],
      ['=', 'x'.repeat(10_001)],
    ];
    for (const [operator, value] of bad) invalid([{ field: 'a', operator, value }]);
    assert.ok(
      checkScope(
        [{ field: 'a', operator: 'IN', value: Array.from({ length: MAX_IN_VALUES }, (_, i) => i) }],
        sql,
        NOW,
      ).ok,
    );
  });

  test('= null points to IS NULL', () => {
    const e = invalid([{ field: 'a', operator: '=', value: null }]);
    assert.match(e.message, /IS NULL/);
  });

  test('non-objects and non-lists are refused, not crashed on', () => {
    invalid('not a list');
    invalid([null]);
    invalid([42]);
    invalid([['field', '=', 1]]);
    invalid([{ operator: '=', value: 1 }]);
    invalid([{ field: 5, operator: '=', value: 1 }]);
    invalid([{ field: 'a', operator: '=', value: 1, rule: 5 }]);
    invalid(Array.from({ length: 257 }, () => ({ field: 'a', operator: 'IS NULL' })));
  });

  test('arbitrary input either validates or fails with NAU_SCOPE_INVALID', () => {
    const anyValue = fc.oneof(
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
    );
    const constraint = fc.record(
      {
        field: fc.oneof(fc.string(), fc.constantFrom('id', 'severity', 'a.b')),
        operator: fc.oneof(
          fc.string(),
          fc.constantFrom('=', 'IN', 'BETWEEN', 'IS NULL', 'LIKE', 'NOT IN'),
        ),
        value: anyValue,
        expiresAt: fc.oneof(fc.string(), fc.constant('2030-01-01T00:00:00Z')),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(constraint, anyValue), { maxLength: 5 }), (scope) => {
        try {
          const r = checkScope(scope as ScopeConstraint[], sql, NOW);
          if (r.ok)
            for (const c of r.constraints) assert.match(c.field, /^[A-Za-z_][A-Za-z0-9_]*$/);
        } catch (e) {
          assert.ok(e instanceof AdapterFailure && e.code === 'NAU_SCOPE_INVALID', String(e));
        }
      }),
    );
  });
});

describe('checkScope: validity windows', () => {
  const c = (w: Partial<ScopeConstraint>): ScopeConstraint => ({
    field: 'severity',
    operator: '=',
    value: 'high',
    rule: 'r1',
    ...w,
  });

  test('an expired constraint denies the source (it is not dropped)', () => {
    const r = checkScope([c({}), c({ expiresAt: '2025-06-30T11:59:59Z' })], sql, NOW);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.denial.reason, 'scope-expired');
    assert.equal(r.denial.constraintIndex, 1);
    assert.equal(r.denial.rule, 'r1');
    assert.equal(r.denial.at, '2025-06-30T11:59:59Z');
  });

  test('expiresAt equal to now is expired; validFrom equal to now is valid', () => {
    assert.equal(checkScope([c({ expiresAt: '2025-06-30T12:00:00Z' })], sql, NOW).ok, false);
    assert.equal(checkScope([c({ validFrom: '2025-06-30T12:00:00Z' })], sql, NOW).ok, true);
  });

  test('a constraint not valid yet denies the source', () => {
    const r = checkScope([c({ validFrom: '2025-06-30T12:00:01Z' })], sql, NOW);
    assert.ok(!r.ok && r.denial.reason === 'scope-not-yet-valid');
  });

  test('a constraint inside its window is kept with the others', () => {
    const r = checkScope(
      [c({ validFrom: '2025-01-01T00:00:00Z', expiresAt: '2026-01-01T00:00:00+01:00' }), c({})],
      sql,
      NOW,
    );
    assert.ok(r.ok);
    assert.equal(r.constraints.length, 2);
  });

  test('offsets are honoured', () => {
    // 13:30+02:00 is 11:30Z, before NOW.
    assert.equal(checkScope([c({ expiresAt: '2025-06-30T13:30:00+02:00' })], sql, NOW).ok, false);
    // 08:30-04:00 is 12:30Z, after NOW.
    assert.equal(checkScope([c({ expiresAt: '2025-06-30T08:30:00-04:00' })], sql, NOW).ok, true);
  });

  test('unreadable or ambiguous timestamps are invalid, never ignored', () => {
    for (const t of [
      'tomorrow',
      '2025-06-30',
      '2025-06-30T12:00:00',
      '2025-13-01T00:00:00Z',
      '2025-02-30T00:00:00Z',
      '2025-06-30T24:00:00Z',
      '2025-06-30T12:00:00+25:00',
      '',
    ]) {
      invalid([c({ expiresAt: t })]);
      invalid([c({ validFrom: t })]);
    }
    invalid([c({ expiresAt: 1751284800000 as unknown as string })]);
  });

  test('an empty window (expiresAt not after validFrom) is invalid', () => {
    invalid([c({ validFrom: '2025-07-01T00:00:00Z', expiresAt: '2025-07-01T00:00:00Z' })]);
  });

  test('requireScope turns a denial into NAU_SCOPE_EXPIRED / NAU_SCOPE_NOT_YET_VALID', () => {
    for (const [w, code] of [
      [{ expiresAt: '2020-01-01T00:00:00Z' }, 'NAU_SCOPE_EXPIRED'],
      [{ validFrom: '2030-01-01T00:00:00Z' }, 'NAU_SCOPE_NOT_YET_VALID'],
    ] as const) {
      assert.throws(
        () => requireScope([c(w)], sql, NOW),
        (e: unknown) =>
          e instanceof AdapterFailure &&
          e.code === code &&
          e.status === 403 &&
          e.failureClass === 'scope_rejected' &&
          (e.detail.denial as { constraintIndex: number }).constraintIndex === 0,
      );
    }
  });
});

describe('parseIsoDateTime', () => {
  test('matches Date.parse on valid input, with fractions and both offset spellings', () => {
    for (const t of [
      '2025-06-30T12:00:00Z',
      '2025-06-30T12:00Z',
      '2025-06-30T12:00:00.5Z',
      '2025-06-30T12:00:00.123456+05:30',
      '2024-02-29T23:59:59-08:00',
      '2025-06-30 12:00:00+0200',
    ]) {
      const r = parseIsoDateTime(t);
      assert.ok('ms' in r, t);
      assert.equal(r.ms, Date.parse(t.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2')));
    }
  });
});
