// The MCP transport over streamable HTTP, driven by the official SDK client: tools and schemas,
// every tool against the quickstart broker, API-key authentication and agent binding.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Broker } from '../../src/broker/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { type McpHandle, startMcp, TOOL_NAMES } from '../../src/transport/mcp/index.ts';
import { memoryLogger } from './fixtures/memory-logger.ts';
import { type QuickstartCopy, quickstartCopy } from './fixtures/quickstart.ts';

const newKey = () => randomBytes(24).toString('base64url');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const ANY_KEY = newKey();
const SOC_KEY = newKey();

interface CallResult {
  readonly isError?: boolean;
  readonly content: ReadonlyArray<{ type: string; text?: string }>;
  readonly structuredContent?: Record<string, unknown>;
}

let qs: QuickstartCopy;
let broker: Broker;
let mcp: McpHandle;
const logger = memoryLogger();
const clients: Client[] = [];

async function connect(
  headers: Record<string, string>,
  mode: 'legacy' | 'auto' = 'legacy',
): Promise<Client> {
  const client = new Client(
    { name: 'nautilus-test', version: '1.0.0' },
    { versionNegotiation: { mode } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcp.address as string), {
      requestInit: { headers },
    }),
  );
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as CallResult;
}

function errorOf(r: CallResult): { code: string; message: string } {
  assert.equal(r.isError, true, JSON.stringify(r));
  const s = r.structuredContent as { code: string; message: string };
  assert.equal(r.content[0]?.text, `${s.code}: ${s.message}`);
  return s;
}

function ok<T>(r: CallResult): T {
  assert.notEqual(r.isError, true, JSON.stringify(r.content));
  // The text carries a summary and then the same JSON, for clients that ignore structuredContent.
  assert.deepEqual(JSON.parse(r.content[1]?.text ?? 'null'), r.structuredContent);
  return r.structuredContent as T;
}

before(async () => {
  qs = quickstartCopy();
  broker = await Broker.fromConfig(qs.configPath, { auditFsync: false, warn: () => {} });
  mcp = await startMcp(broker, {
    mode: 'http',
    host: '127.0.0.1',
    port: 0,
    apiKeys: [
      { id: 'ops', key_sha256: sha256(ANY_KEY), agents: ['*'] },
      { id: 'soc', key_sha256: sha256(SOC_KEY).toUpperCase(), agents: ['soc-analyst'] },
    ],
    logger,
  });
});

after(async () => {
  for (const c of clients) await c.close();
  await mcp.close();
  await broker.close();
  qs.cleanup();
});

describe('MCP over streamable HTTP', () => {
  it('reports the bound address', () => {
    assert.match(mcp.address ?? '', /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    assert.notEqual(mcp.address, 'http://127.0.0.1:0/mcp');
  });

  it('lists the four tools with their input schemas', async () => {
    const client = await connect({ Authorization: `Bearer ${ANY_KEY}` });
    assert.equal(client.getProtocolEra(), 'legacy');
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
    const schema = (name: string) => {
      const s = tools.find((t) => t.name === name)?.inputSchema as {
        type: string;
        required?: string[];
        properties: Record<string, Record<string, unknown>>;
        additionalProperties?: boolean;
      };
      assert.equal(s.type, 'object');
      assert.equal(s.additionalProperties, false, `${name} refuses unknown arguments`);
      return s;
    };
    const req = schema('nautilus_request');
    assert.deepEqual(req.required?.slice().sort(), ['agent_id', 'intent']);
    const ctx = req.properties.context as { properties: Record<string, unknown> };
    assert.deepEqual(Object.keys(ctx.properties).sort(), [
      'clearance',
      'compartments',
      'purpose',
      'request_id',
      'session_id',
    ]);
    const query = schema('nautilus_query');
    assert.deepEqual(query.required?.slice().sort(), ['agent_id', 'data_types']);
    const filters = query.properties.filters as {
      items: { properties: { operator: { enum: string[] } } };
    };
    assert.ok(filters.items.properties.operator.enum.includes('NOT IN'));
    assert.deepEqual(schema('nautilus_session').required, ['session_id']);
    assert.deepEqual(schema('nautilus_close_session').required, ['session_id']);
    const annotations = tools.find((t) => t.name === 'nautilus_session')?.annotations;
    assert.equal(annotations?.readOnlyHint, true);
  });

  it('routes a request and returns records with the row scope applied', async () => {
    const client = await connect({ Authorization: `Bearer ${ANY_KEY}` });
    const r = await call(client, 'nautilus_request', {
      agent_id: 'soc-analyst',
      intent: 'show critical CVEs on 10.0.0.5',
    });
    const body = ok<{
      agent_id: string;
      sources_queried: string[];
      data: Record<string, { records: Array<{ ip: string; severity: string }> }>;
      attestation_token: string | null;
    }>(r);
    assert.equal(body.agent_id, 'soc-analyst');
    assert.deepEqual(body.sources_queried, ['vuln-scans']);
    const records = body.data['vuln-scans']?.records ?? [];
    assert.ok(records.length > 0);
    for (const rec of records) {
      assert.equal(rec.ip, '10.0.0.5');
      assert.equal(rec.severity, 'critical');
    }
    assert.match(body.attestation_token ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(r.content[0]?.text ?? '', /queried vuln-scans: \d+ record\(s\) where ip IN/);
  });

  it('returns a denial with the source, reason and rule', async () => {
    const client = await connect({ 'X-API-Key': ANY_KEY });
    const r = await call(client, 'nautilus_request', {
      agent_id: 'hr-assistant',
      intent: 'show payroll spend in the ledger',
    });
    const body = ok<{
      sources_queried: string[];
      sources_denied: Array<{ source_id: string; reason: string; rule: string }>;
    }>(r);
    assert.deepEqual(body.sources_queried, []);
    const denial = body.sources_denied.find((d) => d.source_id === 'finance-ledger');
    assert.ok(denial, JSON.stringify(body.sources_denied));
    assert.match(denial.rule, /^policy::/);
    assert.match(r.content[0]?.text ?? '', /denied finance-ledger: .+ \[policy::/);
  });

  it('keeps a session: cumulative exposure across requests, view, close', async () => {
    const client = await connect({ Authorization: `Bearer ${ANY_KEY}` });
    const session = { session_id: 'mcp-audit-1' };
    const first = ok<{ sources_queried: string[]; exposure_summary: { exposures: number } }>(
      await call(client, 'nautilus_request', {
        agent_id: 'auditor',
        intent: 'list employees in engineering for the compliance audit',
        context: session,
      }),
    );
    assert.deepEqual(first.sources_queried, ['hr-people']);
    assert.equal(first.exposure_summary.exposures, 1);
    const second = ok<{
      sources_queried: string[];
      exposure_summary: { exposures: number; sources: string[]; flags: string[] };
    }>(
      await call(client, 'nautilus_request', {
        agent_id: 'auditor',
        intent: 'ledger revenue for the compliance audit',
        context: session,
      }),
    );
    assert.deepEqual(second.sources_queried, ['finance-ledger']);
    assert.equal(second.exposure_summary.exposures, 2);
    assert.deepEqual(second.exposure_summary.sources.slice().sort(), [
      'finance-ledger',
      'hr-people',
    ]);
    assert.ok(second.exposure_summary.flags.includes('pii-financial-combination'));

    const view = ok<{
      session_id: string;
      status: string;
      exposures: Array<{ source_id: string; agent_id: string }>;
      summary: { flags: string[] };
    }>(await call(client, 'nautilus_session', session));
    assert.equal(view.status, 'open');
    assert.deepEqual(
      view.exposures.map((e) => e.source_id),
      ['hr-people', 'finance-ledger'],
    );
    assert.ok(view.summary.flags.includes('pii-financial-combination'));

    const closed = ok<{ status: string; closed_at: string | null }>(
      await call(client, 'nautilus_close_session', session),
    );
    assert.equal(closed.status, 'closed');
    assert.notEqual(closed.closed_at, null);
    // Closing again is a no-op; using the closed session is refused.
    ok(await call(client, 'nautilus_close_session', session));
    const after = await call(client, 'nautilus_request', {
      agent_id: 'auditor',
      intent: 'ledger revenue',
      context: session,
    });
    assert.equal(errorOf(after).code, 'NAU_SESSION_CLOSED');
  });

  it('runs a structured query', async () => {
    const client = await connect({ Authorization: `Bearer ${ANY_KEY}` });
    const body = ok<{
      intent: { structured: boolean; data_types: string[] };
      sources_queried: string[];
      data: Record<string, { records: Array<{ severity: string }> }>;
    }>(
      await call(client, 'nautilus_query', {
        agent_id: 'soc-analyst',
        data_types: ['vulnerability'],
        filters: [{ field: 'severity', operator: '=', value: 'high' }],
      }),
    );
    assert.equal(body.intent.structured, true);
    assert.deepEqual(body.intent.data_types, ['vulnerability']);
    assert.deepEqual(body.sources_queried, ['vuln-scans']);
    const records = body.data['vuln-scans']?.records ?? [];
    assert.ok(records.length > 0);
    assert.ok(records.every((r) => r.severity === 'high'));
  });

  it('speaks the 2026-07-28 protocol revision too', async () => {
    const client = await connect({ Authorization: `Bearer ${ANY_KEY}` }, 'auto');
    assert.equal(client.getProtocolEra(), 'modern');
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    const body = ok<{ sources_queried: string[] }>(
      await call(client, 'nautilus_query', {
        agent_id: 'soc-analyst',
        data_types: ['vulnerability'],
      }),
    );
    assert.deepEqual(body.sources_queried, ['vuln-scans']);
  });

  it('answers broker refusals as tool errors with their code', async () => {
    const client = await connect({ Authorization: `Bearer ${ANY_KEY}` });
    const unknown = errorOf(
      await call(client, 'nautilus_request', {
        agent_id: 'intruder',
        intent: 'show all employees',
      }),
    );
    assert.equal(unknown.code, 'NAU_AGENT_UNKNOWN');
    assert.match(unknown.message, /intruder/);
    const noSession = errorOf(await call(client, 'nautilus_session', { session_id: 'never-was' }));
    assert.equal(noSession.code, 'NAU_SESSION_UNKNOWN');
    const badType = errorOf(
      await call(client, 'nautilus_query', {
        agent_id: 'soc-analyst',
        data_types: ['vulnerabilty'],
      }),
    );
    assert.equal(badType.code, 'NAU_REQUEST_INVALID');
    assert.match(badType.message, /did you mean vulnerability/);
  });

  it('refuses invalid arguments with NAU_REQUEST_INVALID naming each field', async () => {
    const client = await connect({ Authorization: `Bearer ${ANY_KEY}` });
    const missing = errorOf(
      await call(client, 'nautilus_request', { agent_id: 'soc-analyst', contxt: {} }),
    );
    assert.equal(missing.code, 'NAU_REQUEST_INVALID');
    assert.match(missing.message, /intent: required/);
    assert.match(missing.message, /contxt: unknown argument \(did you mean context\?\)/);
    const nested = errorOf(
      await call(client, 'nautilus_query', {
        agent_id: 'soc-analyst',
        data_types: [],
        filters: [{ field: 'severity', operator: 'LIKEWISE', value: 'x' }],
        context: { purpse: 'audit' },
      }),
    );
    assert.match(nested.message, /data_types: /);
    assert.match(nested.message, /filters\[0\]\.operator: /);
    assert.match(nested.message, /context\.purpse: unknown argument \(did you mean purpose\?\)/);
    const wrongType = errorOf(await call(client, 'nautilus_session', { session_id: 42 }));
    assert.match(wrongType.message, /session_id: .*expected string/);
  });

  it('binds a key to its agents', async () => {
    const client = await connect({ Authorization: `Bearer ${SOC_KEY}` });
    ok(
      await call(client, 'nautilus_request', {
        agent_id: 'soc-analyst',
        intent: 'critical CVEs',
        context: { session_id: 'soc-own' },
      }),
    );
    const other = errorOf(
      await call(client, 'nautilus_request', { agent_id: 'auditor', intent: 'ledger revenue' }),
    );
    assert.equal(other.code, 'NAU_AUTH_AGENT_FORBIDDEN');
    assert.match(other.message, /API key soc may not act as agent auditor/);
    const query = errorOf(
      await call(client, 'nautilus_query', { agent_id: 'hr-assistant', data_types: ['pii'] }),
    );
    assert.equal(query.code, 'NAU_AUTH_AGENT_FORBIDDEN');
    // Its own session is visible; another agent's session is neither visible nor closable.
    ok(await call(client, 'nautilus_session', { session_id: 'soc-own' }));
    const admin = await connect({ Authorization: `Bearer ${ANY_KEY}` });
    ok(
      await call(admin, 'nautilus_request', {
        agent_id: 'hr-assistant',
        intent: 'list employees for onboarding',
        context: { session_id: 'hr-own' },
      }),
    );
    for (const tool of ['nautilus_session', 'nautilus_close_session']) {
      const e = errorOf(await call(client, tool, { session_id: 'hr-own' }));
      assert.equal(e.code, 'NAU_AUTH_AGENT_FORBIDDEN', tool);
    }
    const view = ok<{ status: string }>(
      await call(admin, 'nautilus_session', { session_id: 'hr-own' }),
    );
    assert.equal(view.status, 'open');
    const denied = logger.lines.filter((l) => l.fields.code === 'NAU_AUTH_AGENT_FORBIDDEN');
    assert.ok(denied.length >= 4);
    assert.ok(denied.every((l) => l.level === 'warn' && l.fields.key_id === 'soc'));
  });
});

describe('MCP HTTP authentication', () => {
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  });
  const post = (headers: Record<string, string>, path = '/mcp') =>
    fetch(new URL(path, mcp.address), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: initialize,
    });

  it('answers 401 without a key, with a wrong key, or with two different keys', async () => {
    for (const [headers, code] of [
      [{}, 'NAU_AUTH_REQUIRED'],
      [{ Authorization: `Bearer ${newKey()}` }, 'NAU_AUTH_INVALID'],
      [{ 'X-API-Key': `${ANY_KEY}x` }, 'NAU_AUTH_INVALID'],
      [{ Authorization: ANY_KEY }, 'NAU_AUTH_INVALID'],
      [{ Authorization: `Bearer ${ANY_KEY}`, 'X-API-Key': SOC_KEY }, 'NAU_AUTH_INVALID'],
    ] as const) {
      const res = await post(headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
      const body = (await res.json()) as { error: { data: { code: string } } };
      assert.equal(body.error.data.code, code);
    }
    const ok = await post({ Authorization: `bearer ${ANY_KEY}` });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    // Nothing of a presented key reaches the log.
    const logged = JSON.stringify(logger.lines);
    assert.ok(!logged.includes(ANY_KEY) && !logged.includes(SOC_KEY));
  });

  it('makes the SDK client fail to connect without a valid key', async () => {
    await assert.rejects(connect({ Authorization: `Bearer ${newKey()}` }));
    await assert.rejects(connect({}));
  });

  it('refuses browsers from other origins and serves nothing but /mcp', async () => {
    const cross = await post({ 'X-API-Key': ANY_KEY, Origin: 'https://evil.example' });
    assert.equal(cross.status, 403);
    const elsewhere = await post({ 'X-API-Key': ANY_KEY }, '/v1/request');
    assert.equal(elsewhere.status, 404);
  });

  it('refuses a body over 1 MiB before parsing it', async () => {
    const res = await fetch(mcp.address as string, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'X-API-Key': ANY_KEY,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', pad: 'x'.repeat(2 << 20) }),
    });
    assert.equal(res.status, 413);
    await res.body?.cancel();
  });

  it('refuses to start without API keys or with malformed ones', async () => {
    for (const [apiKeys, code] of [
      [undefined, 'NAU_MCP_API_KEYS_REQUIRED'],
      [[], 'NAU_MCP_API_KEYS_REQUIRED'],
      [[{ id: 'k', key_sha256: 'abc', agents: ['*'] }], 'NAU_MCP_API_KEY_INVALID'],
      [[{ id: 'k', key_sha256: sha256('x'), agents: [] }], 'NAU_MCP_API_KEY_INVALID'],
      [
        [
          { id: 'a', key_sha256: sha256('x'), agents: ['*'] },
          { id: 'b', key_sha256: sha256('x'), agents: ['auditor'] },
        ],
        'NAU_MCP_API_KEY_INVALID',
      ],
    ] as const) {
      await assert.rejects(
        startMcp(broker, {
          mode: 'http',
          port: 0,
          ...(apiKeys === undefined ? {} : { apiKeys }),
          logger,
        }),
        (x: unknown) => x instanceof NautilusError && x.code === code,
        JSON.stringify(apiKeys),
      );
    }
  });

  it('reports a port it cannot bind and stops cleanly', async () => {
    const port = Number(new URL(mcp.address as string).port);
    await assert.rejects(
      startMcp(broker, {
        mode: 'http',
        port,
        apiKeys: [{ id: 'k', key_sha256: sha256('x'), agents: ['*'] }],
        logger,
      }),
      (x: unknown) =>
        x instanceof NautilusError &&
        x.code === 'NAU_MCP_LISTEN_FAILED' &&
        x.message.includes('EADDRINUSE'),
    );
    const second = await startMcp(broker, {
      mode: 'http',
      port: 0,
      apiKeys: [{ id: 'k', key_sha256: sha256('x'), agents: ['*'] }],
      logger,
    });
    const address = second.address as string;
    await second.close();
    await second.closed;
    await assert.rejects(fetch(address, { method: 'POST' }));
  });
});
