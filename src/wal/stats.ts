// What the writer counts, for the broker to export (prom-client lives in obs/, not here):
// `writer.stats()` gives counters and gauges; WalHooks deliver per-batch observations for
// histograms (batch size, fdatasync latency, enqueue-to-durable wait).
import type { NautilusError } from '../errors.ts';
import type { WalErrorCode } from './errors.ts';

export type WalRejectReason =
  | 'sizeLimit'
  | 'diskFree'
  | 'noSpace'
  | 'writeFailed'
  | 'failed'
  | 'closed'
  | 'badRecord'
  | 'tooLarge';

export interface WalStats {
  /** Records made durable. */
  readonly appends: number;
  /** Bytes of committed lines. */
  readonly appendBytes: number;
  /** Group commits (one write + one fdatasync each). */
  readonly batches: number;
  readonly lastBatchRecords: number;
  readonly maxBatchRecords: number;
  /** fdatasync calls for batches, their total and last/max duration. */
  readonly syncs: number;
  readonly syncSecondsTotal: number;
  readonly lastSyncSeconds: number;
  readonly maxSyncSeconds: number;
  /** The last LSN made durable (0 when none yet). */
  readonly lastLsn: number;
  /** The highest LSN passed to checkpoint(): records at or below it are in the store. */
  readonly checkpointLsn: number;
  /** lastLsn - checkpointLsn. */
  readonly checkpointLagRecords: number;
  readonly queuedRecords: number;
  readonly segments: number;
  readonly bytesOnDisk: number;
  readonly rejected: Readonly<Record<WalRejectReason, number>>;
  /** Failed writes (batch cut back and rejected) and failed fdatasyncs (fatal). */
  readonly writeErrors: number;
  readonly syncErrors: number;
  readonly checkpoints: number;
  readonly segmentsDeleted: number;
  readonly failed: boolean;
  readonly recovery: {
    readonly records: number;
    readonly segments: number;
    readonly bytes: number;
    readonly tornTailBytes: number;
    readonly truncatedBytes: number;
    readonly seconds: number;
  };
}

export interface WalBatchEvent {
  readonly firstLsn: number;
  readonly lastLsn: number;
  readonly records: number;
  readonly bytes: number;
  readonly syncSeconds: number;
  /** Per record: seconds from append() to durable. */
  readonly waitSeconds: readonly number[];
}

export interface WalHooks {
  onBatch?(event: WalBatchEvent): void;
  onRejected?(event: {
    readonly code: WalErrorCode;
    readonly reason: WalRejectReason;
    readonly records: number;
  }): void;
  /** An fdatasync slower than `slowSyncMs` (default 1 s). */
  onSlowSync?(event: { readonly seconds: number; readonly path: string }): void;
  onCheckpoint?(event: {
    readonly durableLsn: number;
    readonly deleted: readonly string[];
    readonly bytesFreed: number;
    readonly seconds: number;
  }): void;
  /** The writer entered the failed state: the caller should stop taking writes and exit. */
  onFailed?(error: NautilusError): void;
}

export function emptyRejected(): Record<WalRejectReason, number> {
  return {
    sizeLimit: 0,
    diskFree: 0,
    noSpace: 0,
    writeFailed: 0,
    failed: 0,
    closed: 0,
    badRecord: 0,
    tooLarge: 0,
  };
}
