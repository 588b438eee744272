// The broker's side of the write-ahead log (DESIGN.md, "Persistence and the WAL"): opening and
// recovering it before the broker answers, appending each session request's ops before they are
// applied, and checkpointing only what the session store already holds.
//
// Checkpoint rule: an LSN is "done" once a store write of its session included it (the manager's
// onSaved). LSNs are contiguous, so the WAL may drop everything up to the highest LSN below which
// every LSN is done. A record whose store write never happens (the write failed and the process
// went on) holds the checkpoint back until a later write of its session, or a restart, covers it.
import { NautilusError } from '../errors.ts';
import type { SessionManager } from '../session/manager.ts';
import type { SessionOp } from '../session/ops.ts';
import {
  nodeWalFs,
  type WalFs,
  type WalHooks,
  type WalRecord,
  type WalStats,
  WalWriter,
  walIdentity,
} from '../wal/index.ts';

/** How many newly done LSNs trigger a checkpoint (a rolled segment triggers one too). */
const CHECKPOINT_EVERY = 256;
/**
 * Past this many bytes of WAL a checkpoint also rolls a fully covered active segment, so that it
 * can be deleted: records the store already holds would otherwise stay until the segment fills
 * (64 MiB by default), and recovery after a crash re-reads and skips every one of them.
 */
const ROLL_AT_BYTES = 4 * 1024 * 1024;

export const WAL_REPAIR_HINT = '--wal-repair truncate-at-first-bad';

export interface WalLinkOptions {
  readonly path: string;
  readonly segmentBytes: number;
  readonly maxBytes: number;
  readonly minFreeBytes: number;
  readonly repair?: 'truncate-at-first-bad';
  /** The WAL's file system (default: the real one; tests inject faults). */
  readonly fs?: WalFs;
  /** False when the store is not durable (memory): nothing may leave the WAL then. */
  readonly checkpoints: boolean;
  /**
   * Makes every store write so far durable (false: not now); called before records the store
   * holds are deleted (SQLite runs synchronous=NORMAL with the WAL: SessionStore.durabilityBarrier).
   */
  readonly storeBarrier?: () => Promise<boolean>;
  /** Sets the engine's clock to a record's time while it is replayed (null: the live clock). */
  readonly replayingAt?: (at: Date | null) => void;
  readonly warn: (message: string) => void;
  /** The writer failed (fdatasync): session writes are refused from now on. */
  readonly onFailed: (error: NautilusError) => void;
  /** Observation hooks (metrics); they must not throw. */
  readonly hooks?: Pick<WalHooks, 'onBatch' | 'onRejected' | 'onCheckpoint'>;
}

export interface WalRecovery {
  readonly records: number;
  readonly applied: number;
  readonly skipped: number;
  /** Records left in the WAL because their session could not take them (quarantined row). */
  readonly kept: number;
  readonly ms: number;
}

export class WalLink {
  /** Every LSN at or below this is in the store. */
  private doneUpTo: number;
  private readonly done = new Set<number>();
  /** Per session, LSNs appended whose store write has not happened yet. */
  private readonly waiting = new Map<string, number[]>();
  private checkpointedAt: number;
  private checkpointing = false;
  private closed = false;

  private constructor(
    private readonly writer: WalWriter,
    private readonly o: WalLinkOptions,
  ) {
    this.doneUpTo = writer.lastLsn;
    this.checkpointedAt = writer.stats().checkpointLsn;
  }

  /**
   * Opens the WAL and replays, through `sessions.replay`, every record the store does not have.
   * Call after `sessions.start()` and before the broker answers.
   */
  static async open(
    sessions: SessionManager,
    o: WalLinkOptions,
  ): Promise<{ link: WalLink; recovery: WalRecovery }> {
    const started = performance.now();
    let link: WalLink;
    const fs = o.fs ?? nodeWalFs;
    let records = 0;
    let applied = 0;
    let skipped = 0;
    let kept = 0;
    let attached = false;
    // Before the first record is applied: a WAL holding records must have its id already.
    const attach = async (recordCount: number) => {
      if (attached) return;
      sessions.attachWal(await walIdentity(fs, o.path, recordCount));
      attached = true;
    };
    // Recovery hands over each record as it validates it, so each is read and parsed once.
    // Nothing is saved before the scan ends (finishReplay): if the WAL turns out corrupt further
    // on, the open fails and what was applied only ever lived in this process's memory.
    const replay = async (batch: WalRecord[]) => {
      await attach(batch.length);
      if (!sessions.available) return;
      for (const r of batch) {
        records++;
        try {
          o.replayingAt?.(new Date(r.ts));
          // Most records need no await: only a session's first one reads its store row.
          const outcome = sessions.replayNext(r) ?? (await sessions.replay(r));
          if (outcome === 'applied') applied++;
          else skipped++;
        } catch (x) {
          if (x instanceof NautilusError && x.code === 'NAU_STORE_CORRUPT') {
            kept++;
            o.warn(`WAL record ${r.lsn} kept for session ${r.sid}: ${x.message}`);
            continue;
          }
          throw replayFailed(r, x);
        } finally {
          o.replayingAt?.(null);
        }
      }
    };
    const writer = await WalWriter.open(o.path, {
      fs,
      segmentBytes: o.segmentBytes,
      maxBytes: o.maxBytes,
      minFreeBytes: o.minFreeBytes,
      nextLsnAtLeast: sessions.maxWalLsn + 1,
      repairHint: WAL_REPAIR_HINT,
      ...(o.repair === undefined ? {} : { repair: o.repair }),
      onRecoveredRecords: replay,
      warn: o.warn,
      hooks: {
        ...o.hooks,
        onSlowSync: (e) =>
          o.warn(`slow WAL fdatasync: ${(e.seconds * 1000).toFixed(0)} ms on ${e.path}`),
        onFailed: (error) => {
          o.warn(`the WAL failed, session requests are refused: ${error.message}`);
          o.onFailed(error);
        },
      },
    });
    try {
      await attach(writer.recovery.recordCount);
      if (!sessions.available) {
        // The store is down: nothing can be replayed, so nothing may be checkpointed.
        kept = -1;
      } else {
        await sessions.finishReplay();
      }
      link = new WalLink(writer, o);
      if (kept === 0 && o.checkpoints && writer.lastLsn > 0) {
        // Rolled, so the replayed records leave the WAL now: the next start does not re-read them.
        await link.checkpointTo(writer.lastLsn, true);
      } else if (kept !== 0) {
        // Hold everything back: only a later restart that can replay them may drop them.
        link.doneUpTo = -1;
      }
    } catch (x) {
      await writer.close().catch(() => {});
      throw x;
    }
    return {
      link,
      recovery: {
        records,
        applied,
        skipped,
        kept: Math.max(0, kept),
        ms: performance.now() - started,
      },
    };
  }

  /** The error that stopped the writer, or null. */
  get failed(): NautilusError | null {
    return this.writer.failed;
  }

  /** Step 7: the commit point. Resolves once the record is durable. */
  async append(sessionId: string, requestId: string, ts: number, ops: readonly SessionOp[]) {
    const { lsn } = await this.writer.append({ sid: sessionId, rid: requestId, ts, ops });
    const list = this.waiting.get(sessionId);
    if (list === undefined) this.waiting.set(sessionId, [lsn]);
    else list.push(lsn);
    return lsn;
  }

  /** A store write of the session includes every LSN up to `walLsn` (SessionManager.onSaved). */
  saved(sessionId: string, walLsn: number): void {
    const list = this.waiting.get(sessionId);
    if (list === undefined) return;
    const left = list.filter((lsn) => {
      if (lsn > walLsn) return true;
      this.done.add(lsn);
      return false;
    });
    if (left.length === 0) this.waiting.delete(sessionId);
    else this.waiting.set(sessionId, left);
    if (this.doneUpTo < 0) return;
    while (this.done.delete(this.doneUpTo + 1)) this.doneUpTo++;
    this.maybeCheckpoint();
  }

  stats(): WalStats {
    return this.writer.stats();
  }

  /**
   * Every record at or below this LSN is in the session store, so a checkpoint may drop it (the
   * last checkpoint's LSN with a store that is not durable, or while recovery kept records back).
   */
  get durableLsn(): number {
    if (!this.o.checkpoints || this.doneUpTo < 0) return this.checkpointedAt;
    return Math.max(this.doneUpTo, this.checkpointedAt);
  }

  /** Waits for queued appends, drops what the store holds, releases the WAL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.o.checkpoints && this.writer.failed === null && this.doneUpTo > this.checkpointedAt) {
      await this.checkpointTo(this.doneUpTo, true).catch((x: unknown) =>
        this.o.warn(`WAL checkpoint at close: ${describe(x)}`),
      );
    }
    await this.writer.close();
  }

  /** Drops the records up to `upTo` once the store's writes are durable; false if they are not yet. */
  private async checkpointTo(upTo: number, roll: boolean): Promise<boolean> {
    if (this.o.storeBarrier !== undefined && !(await this.o.storeBarrier())) return false;
    await this.writer.checkpoint(upTo, { roll });
    this.checkpointedAt = upTo;
    return true;
  }

  private maybeCheckpoint(): void {
    if (!this.o.checkpoints || this.checkpointing || this.closed || this.doneUpTo < 0) return;
    if (this.writer.failed !== null || this.doneUpTo <= this.checkpointedAt) return;
    const { segments, bytesOnDisk } = this.writer.stats();
    const rolled = segments > 1;
    if (!rolled && this.doneUpTo - this.checkpointedAt < CHECKPOINT_EVERY) return;
    const upTo = this.doneUpTo;
    this.checkpointing = true;
    this.checkpointTo(upTo, bytesOnDisk >= ROLL_AT_BYTES)
      .catch((x: unknown) => this.o.warn(`WAL checkpoint up to LSN ${upTo}: ${describe(x)}`))
      .finally(() => {
        this.checkpointing = false;
      });
  }
}

function describe(x: unknown): string {
  return x instanceof Error ? x.message : String(x);
}

/** A record recovery could not apply, named; NautilusErrors (e.g. the store down) pass as is. */
function replayFailed(r: WalRecord, x: unknown): unknown {
  if (x instanceof NautilusError) return x;
  return new NautilusError(
    'NAU_WAL_REPLAY_FAILED',
    `replaying WAL record ${r.lsn} (session ${r.sid}, request ${r.rid}) failed: ${describe(x)}; the policy or its templates may have changed since the record was written`,
    500,
    { lsn: r.lsn, session_id: r.sid, cause: describe(x) },
  );
}
