// Comparison builtins. `and`/`or` short-circuit, so they are special forms in the evaluator.
import { defineFunction, type FunctionDef } from '../functions.ts';
import { bool, FALSE, sameValue, TRUE, truthy, type Value } from '../values.ts';
import { argAt, compareNum, type Num, numArg, numValue } from './math.ts';

/**
 * `=` and `<>` compare the first argument with each of the others; the ordering tests compare
 * neighbours. Every argument is type-checked first: CLIPS rejects (< 1 3 2 a) even though the
 * answer is already known at 3 2.
 */
function numericCompare(
  fn: string,
  mode: 'first' | 'chain',
  ok: (cmp: number) => boolean,
): FunctionDef {
  const binary = (a: Value, b: Value): Value =>
    bool(ok(compareNum(numValue(fn, a, 1), numValue(fn, b, 2))));
  return withBinary(
    defineFunction(fn, 2, -1, (args) => {
      if (args.length === 2) return bool(ok(compareNum(numArg(fn, args, 0), numArg(fn, args, 1))));
      const nums: Num[] = args.map((_, i) => numArg(fn, args, i));
      const first = nums[0] as Num;
      for (let i = 1; i < nums.length; i++) {
        const left = mode === 'first' ? first : (nums[i - 1] as Num);
        if (!ok(compareNum(left, nums[i] as Num))) return FALSE;
      }
      return TRUE;
    }),
    binary,
  );
}

function withBinary(def: FunctionDef, binary: (a: Value, b: Value) => Value): FunctionDef {
  return { ...def, binary };
}

// (<> 1 2 1) is FALSE: the first argument must differ from every other one.
const notEqual = withBinary(
  defineFunction('<>', 2, -1, (args) => {
    const nums: Num[] = args.map((_, i) => numArg('<>', args, i));
    const first = nums[0] as Num;
    return bool(nums.slice(1).every((v) => compareNum(first, v) !== 0));
  }),
  (a, b) => bool(compareNum(numValue('<>', a, 1), numValue('<>', b, 2)) !== 0),
);

// eq/neq compare type and value (1 is not eq 1.0); multifields compare element-wise.
const eq = withBinary(
  defineFunction('eq', 2, -1, (args) => {
    const first = argAt('eq', args, 0);
    return bool(args.slice(1).every((v) => sameValue(first, v)));
  }),
  (a, b) => bool(sameValue(a, b)),
);

const neq = withBinary(
  defineFunction('neq', 2, -1, (args) => {
    const first = argAt('neq', args, 0);
    return bool(args.slice(1).every((v) => !sameValue(first, v)));
  }),
  (a, b) => bool(!sameValue(a, b)),
);

const not: FunctionDef = {
  ...defineFunction('not', 1, 1, (args) => bool(!truthy(argAt('not', args, 0)))),
  unary: (a) => bool(!truthy(a)),
};

export const COMPARE_FUNCTIONS: readonly FunctionDef[] = [
  numericCompare('=', 'first', (c) => c === 0),
  notEqual,
  numericCompare('>', 'chain', (c) => c > 0),
  numericCompare('<', 'chain', (c) => c < 0),
  numericCompare('>=', 'chain', (c) => c >= 0),
  numericCompare('<=', 'chain', (c) => c <= 0),
  eq,
  neq,
  not,
];
