// A copy of the quickstart with test API keys, and a REST server started on it on 127.0.0.1 with
// an ephemeral port, the way `nautilus serve` starts it (listen, then the broker, then ready).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Broker, BrokerObserver } from '../../src/broker/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createLogger, type Logger } from '../../src/obs/index.ts';
import {
  ApiKeyAuth,
  loadApiKeys,
  type RunningRestServer,
  startRestServer,
} from '../../src/transport/rest/index.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const QUICKSTART = join(ROOT, 'examples/quickstart');

/** Keys of the test config (plain; the config stores them as given and hashes them on load). */
export const KEYS = {
  /** The quickstart's demo key: soc-analyst, hr-assistant, auditor. */
  demo: 'quickstart-demo-key-not-secret',
  /** Bound to soc-analyst only. */
  soc: 'soc-analyst-only-key-0001',
  /** `*`: any agent. */
  admin: 'admin-any-agent-key-0001',
} as const;

const TEST_API = `api:
  host: 127.0.0.1
  port: 0
  body_limit_bytes: 4096
  keys:
    - id: quickstart-demo
      key_sha256: 7f994fb38d2916c3308e5b44cc913917958d1518fed02ac07cdb6c78eaa351c5
      agents: [soc-analyst, hr-assistant, auditor]
    - { id: soc-only, key: ${KEYS.soc}, agents: [soc-analyst] }
    - { id: admin, key: ${KEYS.admin}, agents: ['*'] }
`;

/** A temp copy of the quickstart whose `api:` section is replaced by `api` (default: test keys). */
export function quickstartCopy(api = TEST_API): { dir: string; config: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'nautilus-rest-'));
  cpSync(QUICKSTART, dir, { recursive: true, filter: (p) => !p.includes('.nautilus') });
  const config = join(dir, 'nautilus.yaml');
  const text = readFileSync(config, 'utf8');
  const cut = text.search(/^(# The REST API[^\n]*\n(#[^\n]*\n)*)?api:/m);
  writeFileSync(config, `${cut === -1 ? text : text.slice(0, cut)}\n${api}`);
  return { dir, config, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Log lines captured as parsed JSON. */
export function captureLogger(level: 'info' | 'debug' = 'debug'): {
  logger: Logger;
  lines: Record<string, unknown>[];
  raw: string[];
} {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level,
    destination: {
      write: (line: string) => {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines, raw };
}

export interface TestServer extends RunningRestServer {
  readonly logs: Record<string, unknown>[];
  readonly rawLogs: string[];
}

export async function startTestServer(
  configPath: string,
  openBroker?: (observer: BrokerObserver) => Promise<Broker>,
): Promise<TestServer> {
  const config = loadConfig(configPath);
  const { logger, lines, raw } = captureLogger();
  const server = await startRestServer({
    config,
    host: '127.0.0.1',
    port: 0,
    logger,
    auth: new ApiKeyAuth(loadApiKeys(config)),
    ...(openBroker === undefined ? {} : { openBroker }),
  });
  return Object.assign(server, { logs: lines, rawLogs: raw });
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked field by field by the tests
  readonly body: any;
  readonly text: string;
}

/** One HTTP call; `key` goes in `Authorization: Bearer`, unless `headers` says otherwise. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let payload: string | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(payload === undefined ? {} : { body: payload }),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, headers: res.headers, body, text };
}
