// The server's lifecycle as the routes see it: `starting` until the broker has finished startup
// recovery and session deserialization (Broker.fromConfig resolved), `ready`, then `stopping`
// once shutdown began. It also counts the broker calls in flight, so shutdown can wait for them.
import type { Broker } from '../../broker/index.ts';
import { NautilusError } from '../../errors.ts';

export type ServerPhase = 'starting' | 'ready' | 'stopping';

export class ServerState {
  private current: ServerPhase = 'starting';
  private instance: Broker | null = null;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  get phase(): ServerPhase {
    return this.current;
  }

  get broker(): Broker | null {
    return this.instance;
  }

  /** Startup is over: requests are served from now on. */
  ready(broker: Broker): void {
    if (this.current === 'stopping') return;
    this.instance = broker;
    this.current = 'ready';
  }

  /** Shutdown began: readiness fails and new requests are refused. */
  stopping(): void {
    this.current = 'stopping';
  }

  /** The broker for a request about to run, or NAU_NOT_READY / NAU_SHUTTING_DOWN (503). */
  acquire(): Broker {
    if (this.current === 'stopping')
      throw new NautilusError('NAU_SHUTTING_DOWN', 'the server is shutting down', 503);
    if (this.instance === null)
      throw new NautilusError(
        'NAU_NOT_READY',
        'the server is starting (recovering sessions); retry shortly',
        503,
      );
    return this.instance;
  }

  /** Runs a broker call, counted as in flight until it settles. */
  async track<T>(call: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await call();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  get busy(): number {
    return this.inFlight;
  }

  /** Resolves true once no broker call is in flight, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
