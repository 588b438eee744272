// Load for crash tests: clients sending session requests to a server until it dies (or a
// deadline / request budget is reached).
import { type Kind, type Ledger, type Server, sleep } from './harness.ts';

export interface DriveOptions {
  readonly workers: number;
  readonly sessions: readonly string[];
  readonly kinds: readonly Kind[];
  readonly agents: readonly string[];
  readonly random: () => number;
  /** Stop after this many requests in all (the server did not die). */
  readonly maxRequests?: number;
  /** Stop at this time (performance.now()). */
  readonly until?: number;
  /** Called after each acknowledged answer. */
  readonly onAck?: () => void;
  /** The chance that a client closes its session instead of sending a request. */
  readonly closeChance?: number;
  /** A session was closed (or may have been): it must not be picked again. */
  readonly onClosed?: (sid: string) => void;
}

const pick = <T>(list: readonly T[], random: () => number): T =>
  list[Math.floor(random() * list.length)] as T;

/** Runs `workers` clients, each sending one request at a time; returns the number sent. */
export async function drive(
  server: Server,
  base: string,
  ledger: Ledger,
  o: DriveOptions,
): Promise<number> {
  let sent = 0;
  const max = o.maxRequests ?? Number.POSITIVE_INFINITY;
  const until = o.until ?? Number.POSITIVE_INFINITY;
  const worker = async () => {
    while (server.exit === null && sent < max && performance.now() < until) {
      const sid = pick(o.sessions, o.random);
      if (ledger.closes.has(sid)) continue; // closed by another client just now
      if (o.random() < (o.closeChance ?? 0)) {
        o.onClosed?.(sid);
        if ((await ledger.close(base, sid)) === 'unknown') {
          await Promise.race([server.exited, sleep(2000)]);
          return;
        }
        continue;
      }
      sent++;
      const s = await ledger.send(base, sid, pick(o.agents, o.random), pick(o.kinds, o.random));
      if (s.outcome === 'ack') o.onAck?.();
      // No answer at all: the server is going away; give it a moment to be seen gone.
      if (s.outcome === 'unknown' && s.status === undefined) {
        await Promise.race([server.exited, sleep(2000)]);
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: o.workers }, worker));
  return sent;
}
