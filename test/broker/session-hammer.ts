// Child process for the two-broker hammer test (sessions-postgres.test.ts), run as
//   node --import tsx test/broker/session-hammer.ts <dsn> <session_id> <tag> <n> <concurrency>
// It builds its own Broker (own world: own data_dir, audit log and attestation key) on the shared
// PostgreSQL session store, prints `ready`, waits for a line on stdin (so both children start
// together), sends n requests in the session, prints one JSON line of results and exits.
import { once } from 'node:events';
import { NautilusError } from '../../src/errors.ts';
import { pgSessionStore, sessionWorld } from './session-fixture.ts';

const [dsn, sessionId, tag, nText, concurrencyText] = process.argv.slice(2);
if (dsn === undefined || sessionId === undefined || tag === undefined) {
  process.stderr.write('usage: session-hammer.ts <dsn> <session_id> <tag> <n> <concurrency>\n');
  process.exit(2);
}
const n = Number(nText);
const concurrency = Number(concurrencyText);

const world = sessionWorld({ sessionStore: pgSessionStore(dsn) });
const broker = await world.open({ warn: (m) => process.stderr.write(`[${tag}] ${m}\n`) });
try {
  process.stdout.write('ready\n');
  process.stdin.setEncoding('utf8');
  await once(process.stdin, 'data');
  process.stdin.destroy();

  const acknowledged: string[] = [];
  const errors: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const requestId = `${tag}-${i}`;
      try {
        const r = await broker.query(
          'alice',
          { dataTypes: ['vulnerability'] },
          { session_id: sessionId, request_id: requestId },
        );
        if (r.sources_queried.length === 1) acknowledged.push(requestId);
        else errors.push(`${requestId}: queried ${JSON.stringify(r.sources_queried)}`);
      } catch (x) {
        errors.push(`${requestId}: ${x instanceof NautilusError ? x.code : ''} ${String(x)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  process.stdout.write(`${JSON.stringify({ tag, acknowledged, errors })}\n`);
} finally {
  await broker.close();
  world.cleanup();
}
