// The writer's options, their defaults and validation.
import { walError } from './errors.ts';
import { DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_RECORD_BYTES, MAX_LINE_BYTES } from './format.ts';
import { nodeWalFs, type WalFs } from './fs.ts';
import type { RecordsConsumer } from './segment-scan.ts';
import type { WalHooks } from './stats.ts';

const MiB = 1024 * 1024;

export interface WalWriterOptions {
  readonly fs?: WalFs;
  /** Roll to a new segment file past this size (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Refuse appends (NAU_WAL_FULL) past this many bytes of segments (default 1 GiB). */
  readonly maxBytes?: number;
  /** Refuse appends (NAU_WAL_FULL) when free disk would drop below this (default 256 MiB). */
  readonly minFreeBytes?: number;
  /** Largest line one flush writes (default 1 MiB); what does not fit goes in the next flush. */
  readonly maxBatchBytes?: number;
  /** Largest single record, serialized (default 8 MiB; at most 16 MiB). */
  readonly maxRecordBytes?: number;
  /** Recovery at open (default `truncate-tail`; see scanWal). */
  readonly repair?: 'truncate-tail' | 'truncate-at-first-bad';
  readonly repairHint?: string;
  /**
   * Hears the recovered records as recovery validates them (see RecordsConsumer): a replay can
   * consume them here instead of reading them again through `recovery.readRecords()`.
   */
  readonly onRecoveredRecords?: RecordsConsumer;
  /**
   * The first LSN to assign is at least this (e.g. the store's highest `wal_lsn` + 1), so an
   * LSN a session row already records is never reused. A jump is recorded as a fence line.
   */
  readonly nextLsnAtLeast?: number;
  readonly hooks?: WalHooks;
  /** fdatasync slower than this is reported to hooks.onSlowSync (default 1000 ms). */
  readonly slowSyncMs?: number;
  readonly now?: () => number;
  /** Hears about a stale lock taken over. */
  readonly warn?: (message: string) => void;
}

export interface ResolvedWalOptions {
  readonly fs: WalFs;
  readonly segmentBytes: number;
  readonly maxBytes: number;
  readonly minFreeBytes: number;
  readonly maxBatchBytes: number;
  readonly maxRecordBytes: number;
  readonly slowSyncMs: number;
  readonly hooks: WalHooks;
}

export function positiveInt(name: string, v: number | undefined, dflt: number, min = 1): number {
  const value = v ?? dflt;
  if (!Number.isSafeInteger(value) || value < min) {
    throw walError('NAU_WAL_BAD_OPTION', `WAL option ${name} must be an integer >= ${min}`);
  }
  return value;
}

export function resolveOptions(o: WalWriterOptions): ResolvedWalOptions {
  const maxRecordBytes = positiveInt('maxRecordBytes', o.maxRecordBytes, DEFAULT_MAX_RECORD_BYTES);
  const maxBatchBytes = positiveInt('maxBatchBytes', o.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES);
  for (const [name, v] of [
    ['maxRecordBytes', maxRecordBytes],
    ['maxBatchBytes', maxBatchBytes],
  ] as const) {
    if (v > MAX_LINE_BYTES) {
      throw walError(
        'NAU_WAL_BAD_OPTION',
        `WAL option ${name} must be at most ${MAX_LINE_BYTES} (the reader's line limit)`,
      );
    }
  }
  return {
    fs: o.fs ?? nodeWalFs,
    segmentBytes: positiveInt('segmentBytes', o.segmentBytes, 64 * MiB),
    maxBytes: positiveInt('maxBytes', o.maxBytes, 1024 * MiB),
    minFreeBytes: positiveInt('minFreeBytes', o.minFreeBytes, 256 * MiB, 0),
    maxBatchBytes,
    maxRecordBytes,
    slowSyncMs: positiveInt('slowSyncMs', o.slowSyncMs, 1000, 0),
    hooks: o.hooks ?? {},
  };
}
