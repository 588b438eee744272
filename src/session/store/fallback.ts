// `on_failure: fallback_memory`: when the configured store cannot be opened at startup, sessions
// are kept in memory instead — loudly (onFallback is called, health() says DEGRADED). Only
// NAU_STORE_UNAVAILABLE at open() falls back: a schema written by a newer Nautilus is refused
// as usual, and failures after a successful open fail closed like any store error.
import { NautilusError } from '../../errors.ts';
import { MemorySessionStore } from './memory-store.ts';
import type {
  SaveRequest,
  SessionLockRelease,
  SessionRecord,
  SessionStore,
  SessionStoreBackend,
  StoreHealth,
} from './types.ts';

export class FallbackSessionStore implements SessionStore {
  private current: SessionStore;
  private why: string | null = null;

  constructor(
    private readonly primary: SessionStore,
    private readonly onFallback: (why: string) => void,
  ) {
    this.current = primary;
  }

  /** The backend in use: the primary's, or 'memory' after falling back. */
  get backend(): SessionStoreBackend {
    return this.current.backend;
  }

  /** After falling back, nothing is durable (the WAL does not checkpoint a memory store). */
  async durabilityBarrier(): Promise<boolean> {
    if (this.current !== this.primary) return false;
    return (await this.primary.durabilityBarrier?.()) ?? true;
  }

  /** Why the store fell back to memory; null while the primary is in use. */
  get degraded(): string | null {
    return this.why;
  }

  async open(): Promise<void> {
    if (this.current !== this.primary) return this.current.open();
    try {
      await this.primary.open();
    } catch (e) {
      if (!(e instanceof NautilusError) || e.code !== 'NAU_STORE_UNAVAILABLE') throw e;
      await this.primary.close().catch(() => {});
      const memory = new MemorySessionStore();
      await memory.open();
      this.current = memory;
      this.why = e.message;
      this.onFallback(e.message);
    }
  }

  load(sessionId: string): Promise<SessionRecord | null> {
    return this.current.load(sessionId);
  }

  loadAllOpen(): Promise<SessionRecord[]> {
    return this.current.loadAllOpen();
  }

  save(req: SaveRequest): Promise<SessionRecord> {
    return this.current.save(req);
  }

  lockSession(sessionId: string): Promise<SessionLockRelease> {
    return this.current.lockSession(sessionId);
  }

  listExpired(before: Date): Promise<string[]> {
    return this.current.listExpired(before);
  }

  async health(): Promise<StoreHealth> {
    const h = await this.current.health();
    if (this.why === null || !h.ok) return h;
    return {
      ok: true,
      detail: `DEGRADED: the ${this.primary.backend} session store could not be opened (${this.why}); sessions are kept in memory and are lost on restart`,
    };
  }

  close(): Promise<void> {
    return this.current.close();
  }
}

export function withMemoryFallback(
  primary: SessionStore,
  onFallback: (why: string) => void,
): FallbackSessionStore {
  return new FallbackSessionStore(primary, onFallback);
}
