// In-process FIFO lock per key: waiters on one key are served in arrival order, different keys
// never wait for each other, and an unheld key costs no memory.
import type { SessionLockRelease } from './types.ts';

interface Waiter {
  readonly grant: () => void;
  readonly refuse: (e: Error) => void;
}

export class KeyedFifoLock {
  /** A key is present while held; its array holds the waiters queued behind the holder. */
  private readonly queues = new Map<string, Waiter[]>();
  private closedWith: Error | undefined;

  acquire(key: string): Promise<SessionLockRelease> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const queue = this.queues.get(key);
    if (queue === undefined) {
      this.queues.set(key, []);
      return Promise.resolve(this.releaser(key));
    }
    return new Promise((resolve, reject) => {
      queue.push({ grant: () => resolve(this.releaser(key)), refuse: reject });
    });
  }

  /** Keys currently held (for tests and diagnostics). */
  get heldCount(): number {
    return this.queues.size;
  }

  /** Refuses every queued waiter and every later acquire with `error`. Holders keep going. */
  close(error: Error): void {
    this.closedWith = error;
    for (const queue of this.queues.values()) {
      for (const w of queue.splice(0)) w.refuse(error);
    }
  }

  private releaser(key: string): SessionLockRelease {
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      const queue = this.queues.get(key);
      const next = queue?.shift();
      if (next === undefined) this.queues.delete(key);
      else next.grant();
    };
  }
}
