// Runs SQLite queries on a worker thread, one at a time, so a slow query never blocks the event
// loop and a deadline is reported on time.
//
// Limitation, by design of better-sqlite3: it exposes no sqlite3_interrupt or progress handler,
// and Worker.terminate() cannot stop native code. A query past its deadline is reported as a
// timeout at once and its worker is abandoned (terminated, unreferenced, replaced); the abandoned
// thread keeps running that one statement until SQLite returns, then exits. Statements are simple
// scoped SELECTs with a LIMIT, so this is bounded by one table scan. At most MAX_ABANDONED such
// threads may exist per source; beyond that, queries fail fast instead of piling up CPU work.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { AdapterFailure } from './failure.ts';
import { SQLITE_WORKER_SOURCE } from './sqlite-worker-source.ts';

export const MAX_ABANDONED = 4;

export interface SqliteOpenOptions {
  readonly sourceId: string;
  /** Absolute path, or ':memory:' (then seedSql builds the database inside the worker). */
  readonly file: string;
  readonly seedSql: string | null;
  readonly table: readonly string[];
  readonly busyTimeoutMs: number;
}

interface WorkerError {
  readonly kind: string;
  readonly code: string;
  readonly message: string;
}

type WorkerMessage =
  | { type: 'ready'; columns: string[] }
  | { type: 'open-failed'; error: WorkerError }
  | { type: 'result'; id: number; rows?: Record<string, unknown>[]; error?: WorkerError };

interface Job {
  readonly id: number;
  readonly message: Record<string, unknown>;
  readonly resolve: (rows: Record<string, unknown>[]) => void;
  readonly reject: (e: AdapterFailure) => void;
}

interface Live {
  readonly worker: Worker;
  readonly ready: Promise<readonly string[]>;
}

const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');

export class SqliteRunner {
  private live: Live | undefined;
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private abandoned = 0;
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: SqliteOpenOptions) {}

  /** Starts the worker (if needed) and returns the table's column names. */
  open(): Promise<readonly string[]> {
    if (this.closed) return Promise.reject(this.failure('internal', 'the adapter is closed'));
    this.live ??= this.spawn();
    return this.live.ready;
  }

  /** Runs a SELECT; `requireColumns` are checked against the table first (case-insensitive). */
  query(
    sql: string,
    params: readonly unknown[],
    requireColumns: readonly string[],
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>[]> {
    return this.submit({ sql, params, requireColumns }, timeoutMs, signal);
  }

  ping(timeoutMs: number, signal: AbortSignal): Promise<unknown> {
    return this.submit({ ping: true }, timeoutMs, signal);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const gone = this.failure('internal', 'the adapter was closed while the query waited');
    for (const job of this.queue.splice(0)) job.reject(gone);
    if (this.running !== undefined) {
      this.running.reject(gone);
      this.abandon();
    } else if (this.live !== undefined) {
      const { worker } = this.live;
      this.live = undefined;
      await worker.terminate();
    }
  }

  private failure(cls: 'timeout' | 'connection' | 'internal', text: string, cause?: unknown) {
    return new AdapterFailure(cls, this.opts.sourceId, text, cause === undefined ? {} : { cause });
  }

  private spawn(): Live {
    const worker = new Worker(SQLITE_WORKER_SOURCE, {
      eval: true,
      workerData: {
        modulePath,
        file: this.opts.file,
        memory: this.opts.file === ':memory:',
        seedSql: this.opts.seedSql,
        table: this.opts.table,
        busyTimeoutMs: this.opts.busyTimeoutMs,
      },
    });
    let settleReady: { ok: (c: string[]) => void; fail: (e: AdapterFailure) => void } | undefined;
    const ready = new Promise<readonly string[]>((ok, fail) => {
      settleReady = { ok, fail };
    });
    // Callers may not await `ready` (a query queued behind it); keep rejections handled.
    ready.catch(() => {});
    const live: Live = { worker, ready };
    const lost = (e: AdapterFailure) => {
      if (this.live !== live) return;
      this.live = undefined;
      settleReady?.fail(e);
      this.running?.reject(e);
      this.running = undefined;
      for (const job of this.queue.splice(0)) job.reject(e);
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') settleReady?.ok(m.columns);
      else if (m.type === 'open-failed') lost(this.openFailure(m.error));
      else this.finish(m);
    });
    worker.on('error', (e) =>
      lost(this.failure('internal', 'the SQLite worker thread failed unexpectedly', e)),
    );
    worker.on('exit', () =>
      lost(this.failure('connection', 'the SQLite worker thread exited unexpectedly')),
    );
    return live;
  }

  private openFailure(e: WorkerError): AdapterFailure {
    if (e.kind === 'open' || e.code === '')
      return this.failure(
        'connection',
        `cannot open the database read-only (${e.code || 'error'})`,
        e,
      );
    return this.failure('internal', `cannot open the database (${e.code})`, e);
  }

  private submit(
    message: Record<string, unknown>,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>[]> {
    if (this.closed) return Promise.reject(this.failure('internal', 'the adapter is closed'));
    if (this.abandoned >= MAX_ABANDONED)
      return Promise.reject(
        this.failure(
          'timeout',
          `${this.abandoned} earlier queries that timed out are still running in SQLite; try again later`,
        ),
      );
    if (signal.aborted) return Promise.reject(this.failure('timeout', 'the request was cancelled'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const expire = (why: string) => {
        const job = this.queue.find((j) => j.id === id) ?? this.running;
        if (job?.id !== id) return;
        job.reject(this.failure('timeout', why));
        if (this.running === job) {
          this.running = undefined;
          this.abandon();
        } else this.queue.splice(this.queue.indexOf(job), 1);
        this.pump();
      };
      const timer = setTimeout(
        () => expire(`the query did not finish within ${timeoutMs} ms`),
        timeoutMs,
      );
      const onAbort = () => expire('the request was cancelled before the query finished');
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      this.queue.push({
        id,
        message: { ...message, id },
        resolve: (rows) => {
          done();
          resolve(rows);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      this.pump();
    });
  }

  /** Sends the next queued job once the worker is ready and idle. */
  private pump(): void {
    if (this.running !== undefined || this.closed) return;
    const job = this.queue.shift();
    if (job === undefined) return;
    this.running = job;
    this.open().then(
      () => {
        if (this.running === job) this.live?.worker.postMessage(job.message);
      },
      (e: AdapterFailure) => {
        if (this.running !== job) return;
        this.running = undefined;
        job.reject(e);
        this.pump();
      },
    );
  }

  private finish(m: Extract<WorkerMessage, { type: 'result' }>): void {
    const job = this.running;
    if (job?.id !== m.id) return;
    this.running = undefined;
    if (m.error === undefined) job.resolve(m.rows ?? []);
    else job.reject(this.queryFailure(m.error));
    this.pump();
  }

  private queryFailure(e: WorkerError): AdapterFailure {
    const id = this.opts.sourceId;
    switch (e.kind) {
      case 'unknown_field':
        // e.message is our own field name here, not SQLite text.
        return new AdapterFailure(
          'scope_rejected',
          id,
          `field ${JSON.stringify(e.message)} is not a column of the source table`,
          { code: 'NAU_SCOPE_INVALID', status: 400, detail: { field: e.message } },
        );
      case 'busy':
        return this.failure('timeout', `the database stayed locked by a writer (${e.code})`, e);
      case 'open':
        return this.failure('connection', `the database file cannot be read (${e.code})`, e);
      case 'no_column':
        return this.failure('internal', 'a configured column no longer exists in the table', e);
      case 'no_table':
        return this.failure('internal', 'the source table no longer exists', e);
      default:
        return this.failure('internal', `SQLite rejected the query (${e.code || 'error'})`, e);
    }
  }

  /** Gives up on the worker running a timed-out query and starts over with a fresh one. */
  private abandon(): void {
    const live = this.live;
    this.live = undefined;
    if (live === undefined) return;
    const { worker } = live;
    worker.removeAllListeners();
    this.abandoned++;
    worker.on('error', () => {});
    worker.once('exit', () => {
      this.abandoned--;
    });
    worker.terminate().catch(() => {});
    worker.unref();
  }
}
