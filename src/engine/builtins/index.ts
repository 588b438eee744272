// The eagerly-evaluated builtin function library (special forms live in the evaluator).
import type { FunctionDef } from '../functions.ts';
import { COMPARE_FUNCTIONS } from './compare.ts';
import { MATH_FUNCTIONS } from './math.ts';
import { MISC_FUNCTIONS } from './misc.ts';
import { MULTIFIELD_FUNCTIONS } from './multifield.ts';
import { PREDICATE_FUNCTIONS } from './predicates.ts';
import { STRING_FUNCTIONS } from './strings.ts';

export const BUILTINS: readonly FunctionDef[] = [
  ...MATH_FUNCTIONS,
  ...COMPARE_FUNCTIONS,
  ...STRING_FUNCTIONS,
  ...MULTIFIELD_FUNCTIONS,
  ...PREDICATE_FUNCTIONS,
  ...MISC_FUNCTIONS,
];

/** A fresh name -> definition table; callers may add deffunctions or host functions to it. */
export function builtinTable(): Map<string, FunctionDef> {
  return new Map(BUILTINS.map((def) => [def.name, def]));
}
