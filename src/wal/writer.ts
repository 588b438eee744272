// The WAL writer: one per directory (lock file), one per process.
//
// Group commit: append() queues the record; the first append of an event-loop turn schedules a
// flush (setImmediate) that writes everything queued as one line, fdatasyncs once and then
// resolves those appends in LSN order. While a flush is in flight the next batch accumulates.
// LSNs are assigned at flush time, so a batch that fails leaves no hole.
//
// Failure rules:
// - fdatasync error: never retried (after a failed writeback the kernel may report later syncs
//   as fine without the data). The writer enters the failed state: everything pending and later
//   is rejected with NAU_WAL_FAILED, `failed` is set, hooks.onFailed fires.
// - write error (ENOSPC, EIO, short write then error): the file is cut back to the batch's start
//   and synced; that batch is rejected (NAU_WAL_NO_SPACE / NAU_WAL_WRITE_FAILED) and later
//   batches proceed. If cutting back fails, the failed state.
// - past `maxBytes` on disk, or with free disk below `minFreeBytes`: NAU_WAL_FULL, nothing written.
import { join } from 'node:path';
import { NautilusError } from '../errors.ts';
import { crashAt, failpoint, failpointDue } from '../failpoint.ts';
import { describeIoError, errnoCode, type WalErrorCode, walError } from './errors.ts';
import { writeFully } from './file-ops.ts';
import {
  batchPayload,
  encodeRecordBody,
  fencePayload,
  frameLine,
  LINE_OVERHEAD_BYTES,
  RECORD_OVERHEAD_BYTES,
  segmentName,
  type WalAppendInput,
} from './format.ts';
import type { WalFileHandle } from './fs.ts';
import { acquireWalLock, type WalLock } from './lock.ts';
import { scanLocked, type WalScan } from './scan.ts';
import { emptyRejected, type WalHooks, type WalRejectReason, type WalStats } from './stats.ts';
import {
  positiveInt,
  type ResolvedWalOptions,
  resolveOptions,
  type WalWriterOptions,
} from './writer-options.ts';

export type { WalWriterOptions } from './writer-options.ts';

export interface WalCheckpointResult {
  /** Segment files deleted. */
  readonly deleted: readonly string[];
  readonly bytesFreed: number;
  /** The active segment was fully covered and was rolled so it could go too. */
  readonly rolled: boolean;
}

interface Pending {
  readonly body: string;
  readonly bytes: number;
  readonly enqueued: number;
  readonly resolve: (v: { lsn: number }) => void;
  readonly reject: (e: Error) => void;
}

interface Segment {
  readonly name: string;
  readonly path: string;
  readonly baseLsn: number;
  /** The LSN after the last one this segment holds. */
  nextLsn: number;
  bytes: number;
}

export class WalWriter {
  private readonly queue: Pending[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private flushing = false;
  private idleWaiters: (() => void)[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private failure: NautilusError | null = null;
  private closing = false;
  private closed = false;
  private bytesOnDisk: number;
  private checkpointLsn: number;
  private readonly counters = {
    appends: 0,
    appendBytes: 0,
    batches: 0,
    lastBatchRecords: 0,
    maxBatchRecords: 0,
    syncs: 0,
    syncSecondsTotal: 0,
    lastSyncSeconds: 0,
    maxSyncSeconds: 0,
    writeErrors: 0,
    syncErrors: 0,
    checkpoints: 0,
    segmentsDeleted: 0,
  };
  private readonly rejected = emptyRejected();

  private constructor(
    readonly dir: string,
    private readonly o: ResolvedWalOptions,
    private readonly lock: WalLock,
    private readonly segments: Segment[],
    private active: WalFileHandle,
    private next: number,
    /** What recovery found at open: replay `recovery.readRecords()` before taking traffic. */
    readonly recovery: WalScan,
  ) {
    this.bytesOnDisk = segments.reduce((n, s) => n + s.bytes, 0);
    this.checkpointLsn = (segments[0]?.baseLsn ?? 1) - 1;
  }

  /**
   * Opens (creating if needed) a WAL directory: takes the lock, runs recovery (torn tail cut,
   * corruption refused unless `repair: 'truncate-at-first-bad'`), and prepares to append.
   */
  static async open(dir: string, options: WalWriterOptions = {}): Promise<WalWriter> {
    const o = resolveOptions(options);
    const atLeast = positiveInt('nextLsnAtLeast', options.nextLsnAtLeast, 1);
    const { fs } = o;
    try {
      await fs.mkdirp(dir);
    } catch (err) {
      throw walError(
        'NAU_WAL_UNREADABLE',
        `cannot create WAL directory ${dir}: ${describeIoError(err)}`,
        { location: { file: dir } },
      );
    }
    const lock = await acquireWalLock(fs, dir, options.warn);
    let handle: WalFileHandle | null = null;
    try {
      const scan = await scanLocked(dir, {
        fs,
        repair: options.repair ?? 'truncate-tail',
        ...(options.now === undefined ? {} : { now: options.now }),
        ...(options.repairHint === undefined ? {} : { repairHint: options.repairHint }),
        ...(options.onRecoveredRecords === undefined
          ? {}
          : { onRecords: options.onRecoveredRecords }),
      });
      const segments: Segment[] = scan.segments.map((s) => ({
        name: s.name,
        path: s.path,
        baseLsn: s.baseLsn,
        nextLsn: s.nextLsn,
        bytes: s.bytes,
      }));
      let next = scan.nextLsn;
      const last = segments.at(-1);
      if (last === undefined) {
        next = Math.max(next, atLeast);
        const name = segmentName(next);
        const seg = { name, path: join(dir, name), baseLsn: next, nextLsn: next, bytes: 0 };
        handle = await fs.open(seg.path, 'create');
        await fs.syncDir(dir);
        segments.push(seg);
      } else {
        handle = await fs.open(last.path, 'append');
        const size = await handle.size();
        if (size !== last.bytes) {
          throw walError(
            'NAU_WAL_CORRUPT',
            `WAL segment ${last.path} changed during recovery (${size} bytes, scanned ${last.bytes}); is another process writing it?`,
            { location: { file: last.path } },
          );
        }
        if (atLeast > next) {
          // Never reuse an LSN that may already be recorded elsewhere: declare the jump.
          const line = frameLine(fencePayload(next, atLeast));
          await writeFully(handle, line);
          await handle.datasync();
          last.bytes += line.length;
          last.nextLsn = atLeast;
          next = atLeast;
        }
      }
      return new WalWriter(dir, o, lock, segments, handle, next, scan);
    } catch (err) {
      await handle?.close().catch(() => {});
      await lock.release().catch(() => {});
      if (err instanceof NautilusError) throw err;
      throw walError(
        'NAU_WAL_OPEN_FAILED',
        `cannot open WAL ${dir} for writing: ${describeIoError(err)}`,
        { location: { file: dir } },
      );
    }
  }

  /** The error that stopped the writer, or null while it works. */
  get failed(): NautilusError | null {
    return this.failure;
  }

  /** The last LSN made durable (0 before the first). */
  get lastLsn(): number {
    return this.next - 1;
  }

  /** The LSN the next record will get if its batch succeeds. */
  get nextLsn(): number {
    return this.next;
  }

  /**
   * Queues a record; resolves with its LSN once it is durable (after its batch's fdatasync),
   * rejects if it is not (nothing of it is then acknowledged, though after a failed fdatasync a
   * crash may still surface the whole record at recovery).
   */
  append(input: WalAppendInput): Promise<{ lsn: number }> {
    if (this.failure !== null) return this.refuse('failed', this.failure, 1);
    if (this.closing) {
      return this.refuse(
        'closed',
        walError('NAU_WAL_CLOSED', `WAL ${this.dir} is closed`, { location: { file: this.dir } }),
        1,
      );
    }
    const body = encodeRecordBody(input);
    const who = `WAL record (session ${JSON.stringify(input?.sid)}, request ${JSON.stringify(input?.rid)})`;
    if (typeof body !== 'string') {
      return this.refuse('badRecord', walError('NAU_WAL_BAD_RECORD', `${who}: ${body.error}`), 1);
    }
    const bytes = Buffer.byteLength(body) + RECORD_OVERHEAD_BYTES;
    if (bytes + LINE_OVERHEAD_BYTES > this.o.maxRecordBytes) {
      return this.refuse(
        'tooLarge',
        walError(
          'NAU_WAL_RECORD_TOO_LARGE',
          `${who} is ${bytes} bytes serialized; the limit is ${this.o.maxRecordBytes}`,
        ),
        1,
      );
    }
    if (this.bytesOnDisk + this.queuedBytes + bytes + LINE_OVERHEAD_BYTES > this.o.maxBytes) {
      return this.refuse('sizeLimit', this.sizeLimitError(), 1);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ body, bytes, enqueued: performance.now(), resolve, reject });
      this.queuedBytes += bytes;
      this.schedule();
    });
  }

  /**
   * Deletes the segments whose records are all at or below `durableLsn` (durable in the session
   * store), oldest first, each deletion made durable before the next: a crash at any point
   * leaves a contiguous WAL. The active segment is rolled first when it is fully covered and
   * `roll` is not false, so it can go too.
   */
  checkpoint(
    durableLsn: number,
    options: { readonly roll?: boolean } = {},
  ): Promise<WalCheckpointResult> {
    if (!Number.isSafeInteger(durableLsn) || durableLsn < 0) {
      return Promise.reject(
        walError('NAU_WAL_BAD_OPTION', `checkpoint LSN must be an integer >= 0, got ${durableLsn}`),
      );
    }
    return this.exclusive(async () => {
      if (this.failure !== null) throw this.failure;
      if (this.closed) throw walError('NAU_WAL_CLOSED', `WAL ${this.dir} is closed`);
      if (durableLsn > this.lastLsn) {
        throw walError(
          'NAU_WAL_BAD_OPTION',
          `checkpoint LSN ${durableLsn} is beyond the last LSN written (${this.lastLsn})`,
        );
      }
      const started = performance.now();
      const active = this.segments.at(-1)!;
      let rolled = false;
      if (options.roll !== false && active.bytes > 0 && active.nextLsn - 1 <= durableLsn) {
        rolled = (await this.roll(this.next)) === null;
        // A crash here leaves the new empty segment and the covered ones (a half-done checkpoint).
        if (rolled) failpoint('checkpoint');
      }
      const deleted: string[] = [];
      let bytesFreed = 0;
      while (this.segments.length > 1 && this.segments[0]!.nextLsn - 1 <= durableLsn) {
        const seg = this.segments[0]!;
        try {
          await this.o.fs.unlink(seg.path);
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') {
            throw walError(
              'NAU_WAL_CHECKPOINT_FAILED',
              `checkpoint: cannot delete WAL segment ${seg.path}: ${describeIoError(err)}`,
              { location: { file: seg.path } },
            );
          }
        }
        try {
          await this.o.fs.syncDir(this.dir);
        } catch (err) {
          throw this.fail(
            `fsync of the WAL directory ${this.dir} failed after deleting ${seg.name}`,
            err,
          );
        }
        // A crash here leaves a half-done checkpoint: this segment gone, later ones still there.
        failpoint('checkpoint');
        this.segments.shift();
        this.bytesOnDisk -= seg.bytes;
        bytesFreed += seg.bytes;
        deleted.push(seg.name);
      }
      this.checkpointLsn = Math.max(this.checkpointLsn, durableLsn);
      this.counters.checkpoints++;
      this.counters.segmentsDeleted += deleted.length;
      this.hook('onCheckpoint', {
        durableLsn,
        deleted,
        bytesFreed,
        seconds: (performance.now() - started) / 1000,
      });
      return { deleted, bytesFreed, rolled };
    });
  }

  /** Waits for queued appends, then closes the file and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    await this.drain();
    await this.exclusive(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.active.close().catch(() => {});
      await this.lock.release();
    });
  }

  stats(): WalStats {
    const r = this.recovery;
    const tornTailBytes = r.repairs
      .filter((x) => x.kind === 'torn-tail' && x.applied)
      .reduce((n, x) => n + x.bytesRemoved, 0);
    const truncatedBytes = r.repairs
      .filter((x) => x.kind === 'truncated-at-first-bad')
      .reduce((n, x) => n + x.bytesRemoved, 0);
    return {
      ...this.counters,
      lastLsn: this.lastLsn,
      checkpointLsn: this.checkpointLsn,
      checkpointLagRecords: Math.max(0, this.lastLsn - this.checkpointLsn),
      queuedRecords: this.queue.length,
      segments: this.segments.length,
      bytesOnDisk: this.bytesOnDisk,
      rejected: { ...this.rejected },
      failed: this.failure !== null,
      recovery: {
        records: r.recordCount,
        segments: r.segments.length,
        bytes: r.bytes,
        tornTailBytes,
        truncatedBytes,
        seconds: r.durationMs / 1000,
      },
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  private refuse(reason: WalRejectReason, err: NautilusError, records: number): Promise<never> {
    this.rejected[reason] += records;
    this.hook('onRejected', { code: err.code as WalErrorCode, reason, records });
    return Promise.reject(err);
  }

  private hook<K extends keyof WalHooks>(name: K, event: Parameters<NonNullable<WalHooks[K]>>[0]) {
    const fn = this.o.hooks[name] as ((e: typeof event) => void) | undefined;
    if (fn === undefined) return;
    try {
      fn.call(this.o.hooks, event);
    } catch {
      // a metrics hook must never break the write path
    }
  }

  private sizeLimitError(): NautilusError {
    return walError(
      'NAU_WAL_FULL',
      `WAL ${this.dir} holds ${this.bytesOnDisk} bytes, the limit is ${this.o.maxBytes}: writes are refused until a checkpoint frees segments (is the session store keeping up?)`,
      { location: { file: this.dir }, limit: 'maxBytes' },
    );
  }

  /** Serializes disk work (flushes, checkpoints, close). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      void this.runFlush();
    });
  }

  private async runFlush(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    try {
      await this.exclusive(() => this.flushOnce());
    } catch (err) {
      // flushOnce handles its errors; anything else is a bug: stop rather than guess
      this.fail('unexpected error in the WAL flush', err);
    } finally {
      this.flushing = false;
    }
    if (this.queue.length > 0) this.schedule();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing || this.scheduled) {
      await new Promise<void>((r) => this.idleWaiters.push(r));
    }
  }

  private takeBatch(): Pending[] {
    let n = 0;
    let bytes = LINE_OVERHEAD_BYTES;
    while (n < this.queue.length) {
      const b = this.queue[n]!.bytes;
      if (n > 0 && bytes + b > this.o.maxBatchBytes) break;
      bytes += b;
      n++;
    }
    this.queuedBytes -= bytes - LINE_OVERHEAD_BYTES;
    return this.queue.splice(0, n);
  }

  private rejectBatch(batch: readonly Pending[], reason: WalRejectReason, err: NautilusError) {
    this.rejected[reason] += batch.length;
    this.hook('onRejected', { code: err.code as WalErrorCode, reason, records: batch.length });
    for (const p of batch) p.reject(err);
  }

  /** Enters the failed state (once) and rejects everything queued; returns the error. */
  private fail(message: string, cause: unknown): NautilusError {
    if (this.failure !== null) return this.failure;
    this.failure = walError(
      'NAU_WAL_FAILED',
      `${message} (${describeIoError(cause)}); the WAL accepts no more writes. A failed fdatasync is never retried: restart the process so that recovery reads what is really on disk`,
      { location: { file: this.dir }, cause: describeIoError(cause) },
    );
    const queued = this.queue.splice(0);
    this.queuedBytes = 0;
    if (queued.length > 0) this.rejectBatch(queued, 'failed', this.failure);
    this.hook('onFailed', this.failure);
    return this.failure;
  }

  /** Makes a new empty segment the active one. Returns null, or why the batch must fail. */
  private async roll(firstLsn: number): Promise<NautilusError | null> {
    const name = segmentName(firstLsn);
    const path = join(this.dir, name);
    let handle: WalFileHandle;
    try {
      handle = await this.o.fs.open(path, 'create');
    } catch (err) {
      const noSpace = errnoCode(err) === 'ENOSPC' || errnoCode(err) === 'EDQUOT';
      return walError(
        noSpace ? 'NAU_WAL_NO_SPACE' : 'NAU_WAL_WRITE_FAILED',
        `cannot create WAL segment ${path}: ${describeIoError(err)}`,
        { location: { file: path } },
      );
    }
    try {
      await this.o.fs.syncDir(this.dir);
    } catch (err) {
      await handle.close().catch(() => {});
      return this.fail(`fsync of the WAL directory ${this.dir} failed after creating ${name}`, err);
    }
    await this.active.close().catch(() => {}); // its data is already synced
    this.active = handle;
    this.segments.push({ name, path, baseLsn: firstLsn, nextLsn: firstLsn, bytes: 0 });
    return null;
  }

  private async flushOnce(): Promise<void> {
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    try {
      await this.commit(batch);
    } catch (err) {
      // commit handles I/O errors itself; anything else is a bug: stop rather than guess
      this.rejectBatch(batch, 'failed', this.fail('unexpected error in the WAL flush', err));
    }
  }

  /** Writes one batch as one line, fdatasyncs, resolves; or rejects it (see the file comment). */
  private async commit(batch: readonly Pending[]): Promise<void> {
    if (this.failure !== null) {
      this.rejectBatch(batch, 'failed', this.failure);
      return;
    }
    const first = this.next;
    const last = first + batch.length - 1;
    const line = frameLine(
      batchPayload(
        first,
        batch.map((p) => p.body),
      ),
    );

    if (this.bytesOnDisk + line.length > this.o.maxBytes) {
      this.rejectBatch(batch, 'sizeLimit', this.sizeLimitError());
      return;
    }
    if (this.o.minFreeBytes > 0) {
      const free = await this.o.fs.statfs(this.dir).then(
        (s) => s.freeBytes,
        () => null, // cannot tell: let the write itself find out
      );
      if (free !== null && free - line.length < this.o.minFreeBytes) {
        this.rejectBatch(
          batch,
          'diskFree',
          walError(
            'NAU_WAL_FULL',
            `the disk holding WAL ${this.dir} has ${free} bytes free, below the minimum of ${this.o.minFreeBytes}: writes are refused until space is freed`,
            { location: { file: this.dir }, limit: 'minFreeBytes', freeBytes: free },
          ),
        );
        return;
      }
    }
    let seg = this.segments.at(-1)!;
    if (seg.bytes > 0 && seg.bytes + line.length > this.o.segmentBytes) {
      const err = await this.roll(first);
      if (err !== null) {
        const reason: WalRejectReason =
          err.code === 'NAU_WAL_FAILED'
            ? 'failed'
            : err.code === 'NAU_WAL_NO_SPACE'
              ? 'noSpace'
              : 'writeFailed';
        this.rejectBatch(batch, reason, err);
        return;
      }
      seg = this.segments.at(-1)!;
    }

    const start = seg.bytes;
    failpoint('wal-before-write');
    if (failpointDue('wal-half-write')) {
      // A write torn by the crash: exactly the first half of the line reaches the file.
      await writeFully(this.active, line.subarray(0, Math.floor(line.length / 2)));
      crashAt('wal-half-write');
    }
    try {
      await writeFully(this.active, line);
    } catch (err) {
      await this.afterWriteError(batch, seg, start, first, last, err);
      return;
    }
    failpoint('wal-before-sync');
    const t0 = performance.now();
    try {
      await this.active.datasync();
    } catch (err) {
      this.counters.syncErrors++;
      const failure = this.fail(
        `fdatasync of WAL segment ${seg.path} failed (LSNs ${first}..${last})`,
        err,
      );
      this.rejectBatch(batch, 'failed', failure);
      return;
    }
    failpoint('wal-after-sync');
    const done = performance.now();
    const syncSeconds = (done - t0) / 1000;

    seg.bytes += line.length;
    seg.nextLsn = last + 1;
    this.bytesOnDisk += line.length;
    this.next = last + 1;
    const c = this.counters;
    c.appends += batch.length;
    c.appendBytes += line.length;
    c.batches++;
    c.lastBatchRecords = batch.length;
    c.maxBatchRecords = Math.max(c.maxBatchRecords, batch.length);
    c.syncs++;
    c.syncSecondsTotal += syncSeconds;
    c.lastSyncSeconds = syncSeconds;
    c.maxSyncSeconds = Math.max(c.maxSyncSeconds, syncSeconds);
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve({ lsn: first + i });
    if (syncSeconds * 1000 > this.o.slowSyncMs) {
      this.hook('onSlowSync', { seconds: syncSeconds, path: seg.path });
    }
    if (this.o.hooks.onBatch !== undefined) {
      this.hook('onBatch', {
        firstLsn: first,
        lastLsn: last,
        records: batch.length,
        bytes: line.length,
        syncSeconds,
        waitSeconds: batch.map((p) => (done - p.enqueued) / 1000),
      });
    }
  }

  /** A write failed: cut the partial batch back, or stop if even that fails. */
  private async afterWriteError(
    batch: readonly Pending[],
    seg: Segment,
    start: number,
    first: number,
    last: number,
    err: unknown,
  ): Promise<void> {
    this.counters.writeErrors++;
    try {
      await this.active.truncate(start);
      await this.active.datasync();
    } catch (err2) {
      const failure = this.fail(
        `writing WAL segment ${seg.path} failed (${describeIoError(err)}) and cutting the partial batch back failed too`,
        err2,
      );
      this.rejectBatch(batch, 'failed', failure);
      return;
    }
    const noSpace = errnoCode(err) === 'ENOSPC' || errnoCode(err) === 'EDQUOT';
    this.rejectBatch(
      batch,
      noSpace ? 'noSpace' : 'writeFailed',
      walError(
        noSpace ? 'NAU_WAL_NO_SPACE' : 'NAU_WAL_WRITE_FAILED',
        `writing LSNs ${first}..${last} to WAL segment ${seg.path} failed (${describeIoError(err)}); the batch was cut back and not committed${noSpace ? ': the disk is full, writes succeed again once space is freed' : ''}`,
        { location: { file: seg.path }, offset: start },
      ),
    );
  }
}
