// Load generator for `npm run bench:serve`, run by bench/serve.ts in its own process so the load
// does not compete with the server's event loop. Usage (JSON argument):
//   node --import tsx bench/serve-load.ts '{"url":"http://127.0.0.1:8080","connections":16,
//     "seconds":10,"key":"...","tag":"c16"}'
// POSTs /v1/request with autocannon and prints autocannon's result as one JSON object.
//
// Workload: the three quickstart agents, each asking what it may read (soc-analyst: CVEs on a
// host; hr-assistant: employees for onboarding; auditor: the ledger for the audit). Every request
// runs in a session; 64 sessions are active at a time and each takes 8 requests before a fresh
// one replaces it, so requests carry cumulative exposure and persist it (a store write each).
import autocannon from 'autocannon';

interface LoadArgs {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly key: string;
  readonly tag: string;
}

const ASKS = [
  { agent_id: 'soc-analyst', intent: 'critical CVEs on 10.0.0.5 from the last 60 days' },
  { agent_id: 'hr-assistant', intent: 'list employees in engineering for onboarding' },
  { agent_id: 'auditor', intent: 'ledger revenue and payroll for the compliance audit' },
] as const;

const ACTIVE_SESSIONS = 64;
const REQUESTS_PER_SESSION = 8;

function main(): void {
  const args = JSON.parse(process.argv[2] ?? '{}') as LoadArgs;
  let n = 0;
  const instance = autocannon(
    {
      url: `${args.url}/v1/request`,
      connections: args.connections,
      duration: args.seconds,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${args.key}` },
      requests: [
        {
          setupRequest: (req) => {
            const i = n++;
            const slot = i % ACTIVE_SESSIONS;
            const generation = Math.floor(i / (ACTIVE_SESSIONS * REQUESTS_PER_SESSION));
            const ask = ASKS[slot % ASKS.length] as (typeof ASKS)[number];
            const body = {
              ...ask,
              context: { session_id: `bench-${args.tag}-${generation}-${slot}` },
            };
            return { ...req, body: JSON.stringify(body) };
          },
        },
      ],
    },
    (err, result) => {
      if (err) {
        process.stderr.write(`autocannon failed: ${err.message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${JSON.stringify(result)}\n`);
    },
  );
  process.once('SIGINT', () => instance.stop());
}

main();
