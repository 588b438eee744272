// The write-ahead log's Prometheus series (docs/wal.md, "Metrics"). They exist only once a broker
// with the WAL has started (NautilusMetrics.enableWal): a server without the WAL exports none, so
// "no series" means "WAL off", never "WAL on and idle". Counters and histograms are fed by the
// writer's events; gauges read the broker's WAL status at scrape time. obs sits below the WAL in
// the layering, so the shapes it reads are declared here.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Why the WAL refused records (the writer's reasons); every one is exported from 0. */
export const WAL_REJECT_REASONS = [
  'sizeLimit',
  'diskFree',
  'noSpace',
  'writeFailed',
  'failed',
  'closed',
  'badRecord',
  'tooLarge',
] as const;
export type WalRejectLabel = (typeof WAL_REJECT_REASONS)[number];

/** What the gauges read (the broker's `walStatus()`). */
export interface WalGaugeValues {
  readonly lastLsn: number;
  readonly durableLsn: number;
  readonly checkpointLsn: number;
  readonly checkpointLagRecords: number;
  readonly queuedRecords: number;
  readonly segments: number;
  readonly bytesOnDisk: number;
  readonly failed: boolean;
}

export interface WalBatchSample {
  readonly records: number;
  readonly bytes: number;
  readonly syncSeconds: number;
  readonly waitSeconds: readonly number[];
}

export interface WalRecoverySample {
  readonly records: number;
  readonly applied: number;
  readonly skipped: number;
  readonly kept: number;
  readonly ms: number;
  readonly tornTailBytes: number;
  readonly truncatedBytes: number;
}

/** fdatasync: 50 µs (enterprise NVMe) to 2 s (a stalled network volume). */
const SYNC = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2,
];
const RECORDS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
const CHECKPOINT = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class WalMetrics {
  private status: (() => WalGaugeValues | null) | null = null;
  private readonly appends: Counter;
  private readonly appendBytes: Counter;
  private readonly batchRecords: Histogram;
  private readonly syncSeconds: Histogram;
  private readonly waitSeconds: Histogram;
  private readonly rejected: Counter<'reason'>;
  private readonly checkpointSeconds: Histogram;
  private readonly segmentsDeleted: Counter;
  private readonly replayRecords: Gauge<'result'>;
  private readonly replaySeconds: Gauge;
  private readonly recoveryCut: Gauge<'kind'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.appends = new Counter({
      name: 'nautilus_wal_appends_total',
      help: 'WAL records made durable (written and fdatasynced)',
      registers,
    });
    this.appendBytes = new Counter({
      name: 'nautilus_wal_append_bytes_total',
      help: 'Bytes of WAL lines made durable',
      registers,
    });
    this.batchRecords = new Histogram({
      name: 'nautilus_wal_batch_records',
      help: 'Records per group commit (one write and one fdatasync each)',
      buckets: RECORDS,
      registers,
    });
    this.syncSeconds = new Histogram({
      name: 'nautilus_wal_fsync_duration_seconds',
      help: 'fdatasync of a WAL batch',
      buckets: SYNC,
      registers,
    });
    this.waitSeconds = new Histogram({
      name: 'nautilus_wal_append_wait_seconds',
      help: 'Per record, from the append to durable (queueing behind a flush included)',
      buckets: SYNC,
      registers,
    });
    this.rejected = new Counter({
      name: 'nautilus_wal_rejected_total',
      help: 'WAL records refused, by reason (noSpace/diskFree/sizeLimit: disk or limits; failed: after a failed fdatasync)',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of WAL_REJECT_REASONS) this.rejected.inc({ reason }, 0);
    this.checkpointSeconds = new Histogram({
      name: 'nautilus_wal_checkpoint_duration_seconds',
      help: 'WAL checkpoints (segments the session store holds deleted)',
      buckets: CHECKPOINT,
      registers,
    });
    this.segmentsDeleted = new Counter({
      name: 'nautilus_wal_segments_deleted_total',
      help: 'WAL segment files deleted by checkpoints',
      registers,
    });
    this.replayRecords = new Gauge({
      name: 'nautilus_wal_replay_records',
      help: 'Startup recovery: records read from the WAL, and applied, skipped (already in the store or session closed) or kept (session unreadable)',
      labelNames: ['result'],
      registers,
    });
    this.replaySeconds = new Gauge({
      name: 'nautilus_wal_replay_duration_seconds',
      help: 'Startup recovery: opening, checking and replaying the WAL',
      registers,
    });
    this.recoveryCut = new Gauge({
      name: 'nautilus_wal_recovery_truncated_bytes',
      help: 'Startup recovery: bytes cut from the WAL (torn_tail: an unfinished last write; operator: --wal-repair)',
      labelNames: ['kind'],
      registers,
    });
    const self = this;
    const gauge = (name: string, help: string, read: (s: WalGaugeValues) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = self.status?.() ?? null;
          if (s !== null) this.set(read(s));
        },
      });
    gauge(
      'nautilus_wal_last_lsn',
      'The last LSN written and fdatasynced to the WAL',
      (s) => s.lastLsn,
    );
    gauge(
      'nautilus_wal_durable_lsn',
      'Every WAL record at or below this LSN is in the session store (a checkpoint may drop it)',
      (s) => s.durableLsn,
    );
    gauge(
      'nautilus_wal_checkpoint_lsn',
      'The last checkpoint: WAL records at or below it are gone from the WAL',
      (s) => s.checkpointLsn,
    );
    gauge(
      'nautilus_wal_checkpoint_lag_records',
      'Records in the WAL above its last checkpoint (what a restart may replay): last_lsn - checkpoint_lsn',
      (s) => s.checkpointLagRecords,
    );
    gauge(
      'nautilus_wal_store_lag_records',
      'WAL records the session store does not hold yet: last_lsn - durable_lsn (grows while the store is slow or down)',
      (s) => Math.max(0, s.lastLsn - s.durableLsn),
    );
    gauge(
      'nautilus_wal_queued_records',
      'Records waiting for the next group commit',
      (s) => s.queuedRecords,
    );
    gauge('nautilus_wal_segments', 'WAL segment files on disk', (s) => s.segments);
    gauge('nautilus_wal_size_bytes', 'Bytes of WAL segments on disk', (s) => s.bytesOnDisk);
    gauge(
      'nautilus_wal_failed',
      '1 once an fdatasync failed: session requests are refused until a restart',
      (s) => (s.failed ? 1 : 0),
    );
  }

  /** Where the gauges read their values at scrape time (null: keep the last values). */
  bind(status: (() => WalGaugeValues | null) | null): void {
    this.status = status;
  }

  batch(b: WalBatchSample): void {
    this.appends.inc(b.records);
    this.appendBytes.inc(b.bytes);
    this.batchRecords.observe(b.records);
    this.syncSeconds.observe(b.syncSeconds);
    for (const w of b.waitSeconds) this.waitSeconds.observe(w);
  }

  rejectedRecords(reason: WalRejectLabel, records: number): void {
    this.rejected.inc({ reason }, records);
  }

  checkpoint(segmentsDeleted: number, seconds: number): void {
    this.segmentsDeleted.inc(segmentsDeleted);
    this.checkpointSeconds.observe(seconds);
  }

  recovery(r: WalRecoverySample): void {
    this.replayRecords.set({ result: 'read' }, r.records);
    this.replayRecords.set({ result: 'applied' }, r.applied);
    this.replayRecords.set({ result: 'skipped' }, r.skipped);
    this.replayRecords.set({ result: 'kept' }, r.kept);
    this.replaySeconds.set(r.ms / 1000);
    this.recoveryCut.set({ kind: 'torn_tail' }, r.tornTailBytes);
    this.recoveryCut.set({ kind: 'operator' }, r.truncatedBytes);
  }
}
