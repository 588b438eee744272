// Builtins that rule tests call most (comparisons, `not`, `member$`, `+ - *`) have `unary` /
// `binary` variants that skip the argument array (src/engine/expr.ts, `compileCall`). They must
// answer exactly as the general `impl` does: same value, or the same error code and message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BUILTINS } from '../../src/engine/builtins/index.ts';
import type { FunctionHost } from '../../src/engine/functions.ts';
import { Engine, EngineError, Sym, type Value } from '../../src/engine/index.ts';

const host: FunctionHost = {
  now: () => 0,
  nextGensym: () => 1,
  setGensym: () => {},
  write: () => {},
};

const atom = fc.oneof(
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.integer({ min: -5, max: 5 }).map((n) => BigInt(n)),
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, 1.5, Number.POSITIVE_INFINITY),
  fc.constantFrom('a', 'b', ''),
  fc.constantFrom('a', 'b', 'nil', 'TRUE', 'FALSE').map((n) => Sym.of(n)),
);
const value: fc.Arbitrary<Value> = fc.oneof(
  { weight: 4, arbitrary: atom as fc.Arbitrary<Value> },
  { weight: 1, arbitrary: fc.array(atom, { maxLength: 4 }) as fc.Arbitrary<Value> },
);

/** The outcome of a call: its value, or the error's code and message. */
function outcome(f: () => Value): unknown {
  try {
    return { value: f() };
  } catch (x) {
    if (x instanceof EngineError) return { code: x.code, message: x.message };
    throw x;
  }
}

describe('builtin fast paths', () => {
  const withBinary = BUILTINS.filter((d) => d.binary !== undefined);
  const withUnary = BUILTINS.filter((d) => d.unary !== undefined);

  it('cover the functions rule tests call most', () => {
    assert.deepEqual(
      withBinary.map((d) => d.name).sort(),
      ['*', '+', '-', '<', '<=', '<>', '=', '>', '>=', 'eq', 'member$', 'neq'].sort(),
    );
    assert.deepEqual(
      withUnary.map((d) => d.name),
      ['not'],
    );
  });

  for (const def of withBinary) {
    it(`${def.name}: binary answers as impl`, () => {
      fc.assert(
        fc.property(value, value, (a, b) => {
          const binary = def.binary as (a: Value, b: Value) => Value;
          assert.deepEqual(
            outcome(() => binary(a, b)),
            outcome(() => def.impl([a, b], host)),
          );
        }),
        { numRuns: 300 },
      );
    });
  }

  for (const def of withUnary) {
    it(`${def.name}: unary answers as impl`, () => {
      fc.assert(
        fc.property(value, (a) => {
          const unary = def.unary as (a: Value) => Value;
          assert.deepEqual(
            outcome(() => unary(a)),
            outcome(() => def.impl([a], host)),
          );
        }),
        { numRuns: 300 },
      );
    });
  }

  it('a failing fast-path call names the rule and the call site', () => {
    const e = new Engine();
    e.build(`
      (deftemplate a (slot x))
      (defrule r (a (x ?x&:(> ?x 1))) => (assert (hit)))
    `);
    assert.throws(
      () => e.assertFact('a', { x: Sym.of('word') }),
      (x: unknown) =>
        x instanceof EngineError &&
        x.code === 'NAU_ENGINE_ARGUMENTS' &&
        x.message.includes('function > expected argument #1 to be of type integer or float') &&
        x.message.includes('defrule MAIN::r'),
    );
  });
});
