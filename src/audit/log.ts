// The append-only, hash-chained audit log. One JSON line per event; `append` resolves only once
// the line is written and fsynced. Appends made in the same event-loop turn share one write and
// one fsync (group commit), in call order. A write or fsync error fails every pending append and
// every later one: an audit line is never silently dropped.
import { promises as fsp } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NautilusError } from '../errors.ts';
import type { AuditEvent } from './entry.ts';
import { type AuditFileHandle, type AuditFs, nodeAuditFs } from './fs.ts';
import { composeAuditLine, encodeAuditBody, hashLine } from './line.ts';
import { type AuditLock, acquireAuditLock } from './lock.ts';
import { recoverChainEnd, type VerifyOnOpen } from './tail.ts';

export interface AuditLogOptions {
  /** fsync after each group write (default true). False only for tests and throwaway logs. */
  readonly fsync?: boolean;
  /** File operations (default: the real file system); tests inject faults here. */
  readonly fs?: AuditFs;
  /** Clock for `ts` when an event carries none (default: wall clock). */
  readonly now?: () => Date;
  /** Where warnings go (default: stderr). */
  readonly warn?: (message: string) => void;
  /** How much of an existing file to verify before continuing it (default 'tail'). */
  readonly verifyOnOpen?: VerifyOnOpen;
  /** Permission bits of a newly created log (default 0o600). */
  readonly mode?: number;
}

export interface AppendResult {
  readonly seq: number;
  /** SHA-256 hex of the line: the next line's `prev_hash`. */
  readonly hash: string;
}

interface Pending extends AppendResult {
  readonly bytes: Buffer;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: NautilusError) => void;
}

const defaultWarn = (message: string) => {
  process.stderr.write(`nautilus: warning: ${message}\n`);
};

export class AuditLog {
  private pending: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  private idleWaiters: (() => void)[] = [];
  private failure: NautilusError | null = null;
  private closing = false;
  private committed: AppendResult;

  private constructor(
    readonly path: string,
    private readonly handle: AuditFileHandle,
    private readonly lock: AuditLock,
    private readonly fsync: boolean,
    private readonly now: () => Date,
    private nextSeq: number,
    private lastHash: string,
    private size: number,
  ) {
    this.committed = { seq: nextSeq - 1, hash: lastHash };
  }

  /**
   * Opens (or creates) the log at `path`, takes its lock file and continues its chain.
   * Errors: NAU_AUDIT_LOCKED, NAU_AUDIT_CORRUPT, NAU_AUDIT_OPEN_FAILED.
   */
  static async open(path: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    const file = resolve(path);
    const fs = options.fs ?? nodeAuditFs;
    const warn = options.warn ?? defaultWarn;
    let lock: AuditLock | undefined;
    let handle: AuditFileHandle | undefined;
    try {
      await fsp.mkdir(dirname(file), { recursive: true });
      lock = await acquireAuditLock(file, warn);
      const opened = await fs.open(file, options.mode ?? 0o600);
      handle = opened.handle;
      if (opened.created) await fs.syncDir(dirname(file));
      const end = await recoverChainEnd(handle, file, options.verifyOnOpen ?? 'tail', warn);
      return new AuditLog(
        file,
        handle,
        lock,
        options.fsync ?? true,
        options.now ?? (() => new Date()),
        end.nextSeq,
        end.lastHash,
        end.size,
      );
    } catch (err) {
      await handle?.close().catch(() => {});
      await lock?.release().catch(() => {});
      if (err instanceof NautilusError) throw err;
      throw new NautilusError(
        'NAU_AUDIT_OPEN_FAILED',
        `cannot open audit log ${file}: ${(err as Error).message}`,
        500,
        { location: { file }, cause: err },
      );
    }
  }

  /** The last line known durable (seq 0 and the genesis hash for an empty log). */
  get lastCommitted(): AppendResult {
    return this.committed;
  }

  /** The error that stopped the log, if any. */
  get failed(): NautilusError | null {
    return this.failure;
  }

  /** Appends one event; resolves once its line is on disk (written and fsynced). */
  append(event: AuditEvent): Promise<AppendResult> {
    if (this.failure !== null) return Promise.reject(this.refusal());
    if (this.closing) {
      return Promise.reject(
        new NautilusError('NAU_AUDIT_CLOSED', `audit log ${this.path} is closed`, 500, {
          location: { file: this.path },
        }),
      );
    }
    let body: string;
    try {
      body = encodeAuditBody(event);
    } catch (err) {
      return Promise.reject(err);
    }
    const seq = this.nextSeq++;
    const ts = typeof event.ts === 'string' ? event.ts : this.now().toISOString();
    const text = composeAuditLine(body, { seq, ts, kind: event.kind, prevHash: this.lastHash });
    const bytes = Buffer.from(`${text}\n`, 'utf8');
    const hash = hashLine(bytes.subarray(0, bytes.length - 1));
    this.lastHash = hash;
    return new Promise((resolve, reject) => {
      this.pending.push({ seq, hash, bytes, resolve, reject });
      this.schedule();
    });
  }

  /** Waits for pending appends, then closes the file and releases the lock. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.idle();
    try {
      await this.handle.close();
    } finally {
      await this.lock.release();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every append of this turn joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0 && this.failure === null) {
        const batch = this.pending;
        this.pending = [];
        const buf = batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((p) => p.bytes));
        let stage = 'write';
        try {
          await this.writeAll(buf);
          if (this.fsync) {
            stage = 'fsync';
            await this.handle.sync();
          }
        } catch (err) {
          await this.fail(stage, err, batch);
          break;
        }
        this.size += buf.length;
        const last = batch[batch.length - 1]!;
        this.committed = { seq: last.seq, hash: last.hash };
        for (const p of batch) p.resolve({ seq: p.seq, hash: p.hash });
      }
    } finally {
      this.flushing = false;
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Loops over short writes; a write that makes no progress is an error. */
  private async writeAll(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const n = await this.handle.append(buf, off, buf.length - off);
      if (!(n > 0))
        throw new Error(`write made no progress (${off} of ${buf.length} bytes written)`);
      off += n;
    }
  }

  private async fail(stage: string, cause: unknown, batch: Pending[]): Promise<void> {
    const victims = [...batch, ...this.pending];
    this.pending = [];
    const message = cause instanceof Error ? cause.message : String(cause);
    this.failure = new NautilusError(
      'NAU_AUDIT_WRITE_FAILED',
      `audit log ${this.path}: ${stage} failed (${message}); ${victims.length} entries (seq ${victims[0]!.seq}..${victims[victims.length - 1]!.seq}) were not recorded and the log refuses further appends`,
      500,
      { location: { file: this.path }, stage, cause },
    );
    for (const p of victims) p.reject(this.failure);
    // Best effort: cut the unacknowledged bytes so a later open does not continue from them.
    await this.handle.truncate(this.size).catch(() => {});
  }

  private refusal(): NautilusError {
    return new NautilusError(
      'NAU_AUDIT_WRITE_FAILED',
      `audit log ${this.path} refuses appends after an earlier failure: ${this.failure!.message}`,
      500,
      { location: { file: this.path }, cause: this.failure },
    );
  }

  private idle(): Promise<void> {
    if (!this.flushing && !this.scheduled && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(() => {
        void this.idle().then(resolve);
      });
    });
  }
}
