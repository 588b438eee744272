// Arithmetic builtins with CLIPS 6.30 typing: INTEGER op INTEGER stays INTEGER (64-bit wrap),
// any FLOAT operand switches the running total to FLOAT from that point on.
import { EngineError } from '../errors.ts';
import { argTypeError, defineFunction, type FunctionDef } from '../functions.ts';
import { int64, type Value } from '../values.ts';

export type Num = bigint | number;

const INT64_MIN = -9223372036854775808n;
const TWO_63 = 2 ** 63;

/** Argument i (0-based); the evaluator has already checked arity, this guards direct calls. */
export function argAt(fn: string, args: Value[], i: number): Value {
  const v = args[i];
  if (v === undefined) {
    throw new EngineError('NAU_ENGINE_ARGUMENTS', `function ${fn} is missing argument #${i + 1}`);
  }
  return v;
}

export function numArg(fn: string, args: Value[], i: number): Num {
  const v = argAt(fn, args, i);
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  throw argTypeError(fn, i + 1, 'integer or float');
}

export function intArg(fn: string, args: Value[], i: number): bigint {
  const v = argAt(fn, args, i);
  if (typeof v === 'bigint') return v;
  throw argTypeError(fn, i + 1, 'integer');
}

/**
 * C's `(long long)` cast of a double as it behaves on x86-64: truncation, and the "integer
 * indefinite" value INT64_MIN for NaN or anything out of range (CLIPS prints exactly that).
 */
export function truncToInt64(x: number): bigint {
  if (Number.isNaN(x) || x >= TWO_63 || x < -TWO_63) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

/** Numeric comparison across INTEGER and FLOAT: exact for two integers, as doubles otherwise. */
export function compareNum(a: Num, b: Num): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function runtime(message: string): EngineError {
  return new EngineError('NAU_ENGINE_RUNTIME', message);
}

const divideByZero = (fn: string): EngineError => runtime(`division by zero in function ${fn}`);
const domainError = (fn: string): EngineError => runtime(`domain error in function ${fn}`);
// CLIPS reports log(0) as "Argument overflow" (EMATHFUN2) rather than a domain error.
const overflowError = (fn: string): EngineError => runtime(`argument overflow in function ${fn}`);

/** +, - and *: integer accumulation until the first FLOAT, then double accumulation. */
function accumulate(
  fn: string,
  intOp: (a: bigint, b: bigint) => bigint,
  floatOp: (a: number, b: number) => number,
): FunctionDef {
  const step = (total: Num, v: Num): Num =>
    typeof total === 'bigint' && typeof v === 'bigint'
      ? int64(intOp(total, v))
      : floatOp(Number(total), Number(v));
  return {
    ...defineFunction(fn, 2, -1, (args) => {
      let total: Num = numArg(fn, args, 0);
      for (let i = 1; i < args.length; i++) total = step(total, numArg(fn, args, i));
      return total;
    }),
    binary: (a, b) => step(numValue(fn, a, 1), numValue(fn, b, 2)),
  };
}

/** A numeric argument (`index` counts from 1, as in `numArg`'s messages). */
export function numValue(fn: string, v: Value, index: number): Num {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  throw argTypeError(fn, index, 'integer or float');
}

const plus = accumulate(
  '+',
  (a, b) => a + b,
  (a, b) => a + b,
);
const minus = accumulate(
  '-',
  (a, b) => a - b,
  (a, b) => a - b,
);
const times = accumulate(
  '*',
  (a, b) => a * b,
  (a, b) => a * b,
);

// With CLIPS's default auto-float-dividend, `/` always divides doubles: (/ 4 2) is 2.0.
const divide = defineFunction('/', 2, -1, (args) => {
  let total = Number(numArg('/', args, 0));
  for (let i = 1; i < args.length; i++) {
    const d = Number(numArg('/', args, i));
    if (d === 0) throw divideByZero('/');
    total /= d;
  }
  return total;
});

// `div` converts every argument to an integer first (so (div 7 0.5) divides by zero).
const toInteger = (v: Num): bigint => (typeof v === 'bigint' ? v : truncToInt64(v));

const div = defineFunction('div', 2, -1, (args) => {
  let total = toInteger(numArg('div', args, 0));
  for (let i = 1; i < args.length; i++) {
    const d = toInteger(numArg('div', args, i));
    if (d === 0n) throw divideByZero('div');
    // BigInt division truncates toward zero like C; INT64_MIN / -1 wraps instead of trapping.
    total = int64(total / d);
  }
  return total;
});

const mod = defineFunction('mod', 2, 2, (args) => {
  const a = numArg('mod', args, 0);
  const b = numArg('mod', args, 1);
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if (b === 0n) throw divideByZero('mod');
    return int64(a % b);
  }
  const x = Number(a);
  const y = Number(b);
  if (y === 0) throw divideByZero('mod');
  // CLIPS computes x - trunc(x / y) * y rather than fmod.
  return x - Math.trunc(x / y) * y;
});

const abs = defineFunction('abs', 1, 1, (args) => {
  const v = numArg('abs', args, 0);
  if (typeof v === 'bigint') return v < 0n ? int64(-v) : v;
  return Math.abs(v);
});

/** min/max keep the first extreme argument with its own type: (min 2 2.0) is 2. */
function extreme(fn: string, wantSign: number): FunctionDef {
  return defineFunction(fn, 2, -1, (args) => {
    const nums = args.map((_, i) => numArg(fn, args, i));
    let best = nums[0] as Num;
    for (const v of nums.slice(1)) if (compareNum(v, best) === wantSign) best = v;
    return best;
  });
}

const integer = defineFunction('integer', 1, 1, (args) => toInteger(numArg('integer', args, 0)));
const float = defineFunction('float', 1, 1, (args) => Number(numArg('float', args, 0)));

// CLIPS rounds with ceil(x - 0.5): halves go toward negative infinity, (round 2.5) is 2.
const round = defineFunction('round', 1, 1, (args) => {
  const v = numArg('round', args, 0);
  return typeof v === 'bigint' ? v : truncToInt64(Math.ceil(v - 0.5));
});

const pow = defineFunction('**', 2, 2, (args) => {
  const x = Number(numArg('**', args, 0));
  const y = Number(numArg('**', args, 1));
  if ((x === 0 && y <= 0) || (x < 0 && Math.trunc(y) !== y)) throw domainError('**');
  return x ** y;
});

const sqrt = defineFunction('sqrt', 1, 1, (args) => {
  const x = Number(numArg('sqrt', args, 0));
  if (x < 0) throw domainError('sqrt');
  return Math.sqrt(x);
});

const exp = defineFunction('exp', 1, 1, (args) => Math.exp(Number(numArg('exp', args, 0))));

function logarithm(fn: string, f: (x: number) => number): FunctionDef {
  return defineFunction(fn, 1, 1, (args) => {
    const x = Number(numArg(fn, args, 0));
    if (x < 0) throw domainError(fn);
    if (x === 0) throw overflowError(fn);
    return f(x);
  });
}

const pi = defineFunction('pi', 0, 0, () => Math.PI);

export const MATH_FUNCTIONS: readonly FunctionDef[] = [
  plus,
  minus,
  times,
  divide,
  div,
  mod,
  abs,
  extreme('min', -1),
  extreme('max', 1),
  integer,
  float,
  round,
  pow,
  sqrt,
  exp,
  logarithm('log', Math.log),
  logarithm('log10', Math.log10),
  pi,
];
