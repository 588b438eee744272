// The function-call contract shared by builtins, deffunctions and host functions.
import { EngineError } from './errors.ts';
import type { Value } from './values.ts';

/** What a function may ask of the engine: injected clock and ids, and the printout router. */
export interface FunctionHost {
  /** Seconds since the epoch from the injected clock (CLIPS `time`). */
  now(): number;
  /** Next value of the gensym counter (starts at 1 after construction, like CLIPS). */
  nextGensym(): number;
  /** Sets the gensym counter (`setgen`). */
  setGensym(n: number): void;
  /** Writes text to a logical name (t, stdout, or a router the host registered). */
  write(logicalName: string, text: string): void;
}

export type FunctionImpl = (args: Value[], host: FunctionHost) => Value;

export interface FunctionDef {
  readonly name: string;
  readonly minArgs: number;
  /** -1 means no upper bound. */
  readonly maxArgs: number;
  readonly impl: FunctionImpl;
  /** Set for deffunctions without a wildcard parameter: a call evaluates its arguments
   *  straight into the body's frame (no argument array per call), see `compileCall`. */
  readonly direct?: DirectCall;
  /** `impl` for exactly one / two arguments without an argument array (the comparisons that
   *  rule tests call most); same results and errors as `impl`. */
  readonly unary?: (a: Value) => Value;
  readonly binary?: (a: Value, b: Value) => Value;
}

/** A deffunction body run on a frame whose first slots the caller filled with the arguments. */
export interface DirectCall {
  /** The body's frame size (known once the body is compiled). */
  readonly frameSize: () => number;
  readonly run: (frame: Value[]) => Value;
}

export function defineFunction(
  name: string,
  minArgs: number,
  maxArgs: number,
  impl: FunctionImpl,
): FunctionDef {
  return { name, minArgs, maxArgs, impl };
}

/** Build-time arity check; the message names the function and the expected count. */
export function checkArity(def: FunctionDef, count: number): void {
  if (count < def.minArgs || (def.maxArgs >= 0 && count > def.maxArgs)) {
    const expected =
      def.maxArgs === def.minArgs
        ? `exactly ${def.minArgs}`
        : def.maxArgs < 0
          ? `at least ${def.minArgs}`
          : `${def.minArgs} to ${def.maxArgs}`;
    throw new EngineError(
      'NAU_ENGINE_ARGUMENTS',
      `function ${def.name} expects ${expected} argument(s), got ${count}`,
    );
  }
}

/** Runtime argument error raised by builtins (CLIPS prints ARGACCES5 and halts the rule). */
export function argTypeError(fn: string, index: number, expected: string): EngineError {
  return new EngineError(
    'NAU_ENGINE_ARGUMENTS',
    `function ${fn} expected argument #${index} to be of type ${expected}`,
  );
}
