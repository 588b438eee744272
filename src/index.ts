// Nautilus public library API (explicit named exports).
export {
  Broker,
  type BrokerObserver,
  type BrokerOptions,
  type BrokerResponse,
  type BrokerWalStatus,
  type RequestContext,
  type SessionView,
} from './broker/index.ts';
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
export { type ErrorLocation, NautilusError, type NautilusErrorDetail } from './errors.ts';
export {
  inspectWal,
  scanWal,
  type WalInspection,
  type WalRepairMode,
  type WalScan,
} from './wal/index.ts';
