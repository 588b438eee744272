// Public API of the CLIPS-compatible rules engine.
export type { Activation } from './agenda.ts';
export {
  decodeValue,
  type Encoded,
  encodeValue,
  fromValue,
  type JsAtom,
  type JsValue,
  toValue,
} from './convert.ts';
export {
  Engine,
  type EngineOptions,
  type FactFilter,
  type Firing,
  type HostFunction,
  type RunResult,
  type Snapshot,
} from './engine.ts';
export {
  EngineError,
  type EngineErrorCode,
  type EngineErrorDetail,
  formatLocation,
  type SourceLocation,
} from './errors.ts';
export { Fact } from './fact.ts';
export type { FunctionDef, FunctionHost } from './functions.ts';
export {
  type Atom,
  displayForm,
  FALSE,
  type FactRef,
  type Multifield,
  NIL,
  printForm,
  Sym,
  TRUE,
  type TypeName,
  typeOf,
  type Value,
} from './values.ts';
