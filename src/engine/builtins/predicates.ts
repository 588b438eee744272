// Type predicates. evenp/oddp accept only INTEGERs ((evenp 2.0) is an argument error).
import { defineFunction, type FunctionDef } from '../functions.ts';
import { bool, isLexeme, isMultifield, isNumber, isSym, type Value } from '../values.ts';
import { argAt, intArg } from './math.ts';

function predicate(name: string, test: (v: Value) => boolean): FunctionDef {
  return defineFunction(name, 1, 1, (args) => bool(test(argAt(name, args, 0))));
}

export const PREDICATE_FUNCTIONS: readonly FunctionDef[] = [
  predicate('numberp', isNumber),
  predicate('integerp', (v) => typeof v === 'bigint'),
  predicate('floatp', (v) => typeof v === 'number'),
  predicate('stringp', (v) => typeof v === 'string'),
  predicate('symbolp', isSym),
  predicate('lexemep', isLexeme),
  predicate('multifieldp', isMultifield),
  // CLIPS 6.30 has no fact-addressp; pointerp tests external addresses, which Nautilus lacks.
  predicate('pointerp', () => false),
  defineFunction('evenp', 1, 1, (args) => bool(intArg('evenp', args, 0) % 2n === 0n)),
  defineFunction('oddp', 1, 1, (args) => bool(intArg('oddp', args, 0) % 2n !== 0n)),
];
