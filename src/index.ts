// Nautilus public library API (explicit named exports).
export {
  Engine,
  EngineError,
  type EngineOptions,
  Fact,
  type Firing,
  type RunResult,
  type Snapshot,
  Sym,
  type Value,
} from './engine/index.ts';
