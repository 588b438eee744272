// Write-ahead log: record format, file I/O interface (real and fault-injecting), writer with
// group commit, recovery scan and repair, checkpoint, inspection.
export { describeIoError, type WalErrorCode, walError } from './errors.ts';
export {
  type CrashOptions,
  FaultFs,
  type FaultFsOptions,
  type FaultOp,
  type FaultOpName,
  type FaultRule,
  seededRandom,
} from './fault-fs.ts';
export {
  checkLine,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  type DecodedLine,
  frameLine,
  type LineCheck,
  MAX_LINE_BYTES,
  parseSegmentName,
  segmentName,
  WAL_FORMAT_VERSION,
  type WalAppendInput,
  type WalRecord,
} from './format.ts';
export {
  createNodeWalFs,
  type NodeWalFsOptions,
  nodeWalFs,
  type WalFileHandle,
  type WalFs,
  type WalOpenMode,
} from './fs.ts';
export { WAL_ID_FILE, walIdentity } from './identity.ts';
export { inspectWal, type WalInspection, type WalSessionSummary } from './inspect.ts';
export {
  acquireWalLock,
  LOCK_FILE,
  readWalLockOwner,
  type WalLock,
  type WalLockOwner,
} from './lock.ts';
export {
  scanWal,
  type WalRepair,
  type WalRepairMode,
  type WalScan,
  type WalScanOptions,
  type WalSegmentInfo,
} from './scan.ts';
export type { RecordsConsumer } from './segment-scan.ts';
export type {
  WalBatchEvent,
  WalHooks,
  WalRejectReason,
  WalStats,
} from './stats.ts';
export { type WalCheckpointResult, WalWriter, type WalWriterOptions } from './writer.ts';
