// The REST API against a real server on 127.0.0.1 (ephemeral port) over a copy of the quickstart:
// every route, authentication and agent binding, validation errors, sessions, the audit reader,
// the JWKS (verifying a real attestation), metrics after traffic, and what the logs carry.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAttestation } from '../../src/attest/index.ts';
import {
  call,
  KEYS,
  quickstartCopy,
  ROOT,
  startTestServer,
  type TestServer,
} from './rest-fixture.ts';

describe('REST API', () => {
  let copy: ReturnType<typeof quickstartCopy>;
  let server: TestServer;
  let base: string;
  const auditLines = () =>
    readFileSync(join(copy.dir, '.nautilus', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    copy = quickstartCopy();
    server = await startTestServer(copy.config);
    await server.ready;
    base = server.url;
  });
  after(async () => {
    await server.shutdown({ timeoutMs: 5000 });
    copy.cleanup();
  });

  describe('probes and request ids', () => {
    it('/healthz and /readyz answer without a key', async () => {
      const h = await call(base, 'GET', '/healthz');
      assert.equal(h.status, 200);
      assert.deepEqual(h.body, { status: 'ok' });
      const r = await call(base, 'GET', '/readyz');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { status: 'ready' });
    });

    it('every answer carries X-Request-Id: the caller’s when well-formed, else a new one', async () => {
      const mine = await call(base, 'GET', '/healthz', { headers: { 'x-request-id': 'trace-42' } });
      assert.equal(mine.headers.get('x-request-id'), 'trace-42');
      const bad = await call(base, 'GET', '/healthz', { headers: { 'x-request-id': 'a b c' } });
      assert.match(bad.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      const refused = await call(base, 'GET', '/v1/sources');
      assert.ok(refused.headers.get('x-request-id'), 'error answers carry it too');
    });

    it('an unknown route is a 404 in the error format', async () => {
      const r = await call(base, 'GET', '/v1/nothing', { key: KEYS.demo });
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, 'NAU_NOT_FOUND');
      assert.match(r.body.error.message, /GET \/v1\/nothing/);
    });
  });

  describe('authentication', () => {
    const keyed: [string, string][] = [
      ['POST', '/v1/request'],
      ['POST', '/v1/query'],
      ['GET', '/v1/sessions/s-1'],
      ['DELETE', '/v1/sessions/s-1'],
      ['GET', '/v1/sources'],
      ['GET', '/v1/audit'],
      ['GET', '/v1/keys/jwks.json'],
      ['GET', '/metrics'],
      ['GET', '/openapi.json'],
    ];

    it('refuses every keyed route without a key: 401 NAU_AUTH_REQUIRED', async () => {
      for (const [method, path] of keyed) {
        const r = await call(base, method, path, method === 'POST' ? { body: {} } : {});
        assert.equal(r.status, 401, `${method} ${path}`);
        assert.equal(r.body.error.code, 'NAU_AUTH_REQUIRED', `${method} ${path}`);
        assert.equal(r.headers.get('www-authenticate'), 'Bearer');
      }
    });

    it('refuses a wrong key, a non-Bearer scheme and two different keys: 401 NAU_AUTH_INVALID', async () => {
      const wrong = await call(base, 'GET', '/v1/sources', { key: 'not-a-configured-key-123' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'NAU_AUTH_INVALID');
      const basic = await call(base, 'GET', '/v1/sources', {
        headers: { authorization: `Basic ${Buffer.from(`x:${KEYS.demo}`).toString('base64')}` },
      });
      assert.equal(basic.body.error.code, 'NAU_AUTH_INVALID');
      const both = await call(base, 'GET', '/v1/sources', {
        key: KEYS.demo,
        headers: { 'x-api-key': KEYS.soc },
      });
      assert.equal(both.status, 401);
      assert.equal(both.body.error.code, 'NAU_AUTH_INVALID');
    });

    it('accepts the key as Bearer or as X-API-Key', async () => {
      assert.equal((await call(base, 'GET', '/v1/sources', { key: KEYS.demo })).status, 200);
      const x = await call(base, 'GET', '/v1/sources', { headers: { 'x-api-key': KEYS.demo } });
      assert.equal(x.status, 200);
    });

    it('a key acts only as its agents: 403 NAU_AUTH_AGENT_FORBIDDEN, and nothing is audited', async () => {
      const before = auditLines().length;
      const r = await call(base, 'POST', '/v1/request', {
        key: KEYS.soc,
        body: { agent_id: 'auditor', intent: 'ledger revenue for the audit' },
      });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'NAU_AUTH_AGENT_FORBIDDEN');
      assert.equal(r.body.error.detail.field, 'agent_id');
      const q = await call(base, 'POST', '/v1/query', {
        key: KEYS.soc,
        body: { agent_id: 'hr-assistant', data_types: ['pii'] },
      });
      assert.equal(q.body.error.code, 'NAU_AUTH_AGENT_FORBIDDEN');
      assert.equal(auditLines().length, before);
      // The same key may act as its own agent.
      const ok = await call(base, 'POST', '/v1/request', {
        key: KEYS.soc,
        body: { agent_id: 'soc-analyst', intent: 'critical CVEs on 10.0.0.5' },
      });
      assert.equal(ok.status, 200);
    });
  });

  describe('POST /v1/request and /v1/query', () => {
    it('routes a request; the response request_id is the X-Request-Id', async () => {
      const r = await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        body: {
          agent_id: 'soc-analyst',
          intent: 'critical CVEs on 10.0.0.5 from the last 60 days',
        },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.sources_queried, ['vuln-scans']);
      assert.equal(r.body.request_id, r.headers.get('x-request-id'));
      assert.equal(typeof r.body.attestation_token, 'string');
      assert.ok(r.body.data['vuln-scans'].record_count >= 1);
    });

    it('keeps the caller’s context.request_id (answer header and log line too)', async () => {
      const r = await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        body: {
          agent_id: 'soc-analyst',
          intent: 'vulnerable hosts',
          context: { request_id: 'caller-req-1' },
        },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.request_id, 'caller-req-1');
      assert.equal(r.headers.get('x-request-id'), 'caller-req-1', 'one id everywhere');
      assert.equal(auditLines().at(-1)?.request_id, 'caller-req-1');
      assert.ok(server.logs.some((l) => l.request_id === 'caller-req-1' && l.status === 200));
    });

    it('a denial is an answer (200) naming the source and rule', async () => {
      const r = await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        body: { agent_id: 'hr-assistant', intent: 'show payroll spend in the ledger' },
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.sources_queried, []);
      assert.ok(
        r.body.sources_denied.some(
          (d: { source_id: string; rule: string }) =>
            d.source_id === 'finance-ledger' && d.rule.startsWith('policy::'),
        ),
      );
    });

    it('a structured query reaches the broker with its filters', async () => {
      const r = await call(base, 'POST', '/v1/query', {
        key: KEYS.demo,
        body: {
          agent_id: 'soc-analyst',
          data_types: ['vulnerability'],
          filters: [{ field: 'severity', operator: 'IN', value: ['critical'] }],
        },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.intent.structured, true);
      assert.deepEqual(r.body.sources_queried, ['vuln-scans']);
      for (const row of r.body.data['vuln-scans'].records) assert.equal(row.severity, 'critical');
    });

    it('refuses an unregistered agent with the broker’s code (403 NAU_AGENT_UNKNOWN)', async () => {
      const r = await call(base, 'POST', '/v1/request', {
        key: KEYS.admin,
        body: { agent_id: 'intruder', intent: 'show all employees' },
      });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'NAU_AGENT_UNKNOWN');
    });
  });

  describe('validation', () => {
    const invalid = async (path: string, body: unknown) => {
      const r = await call(base, 'POST', path, { key: KEYS.admin, body });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.code, 'NAU_REQUEST_INVALID');
      return r.body.error;
    };

    it('names a missing field', async () => {
      const e = await invalid('/v1/request', { agent_id: 'soc-analyst' });
      assert.equal(e.detail.field, 'intent');
      assert.equal(e.detail.in, 'body');
      assert.match(e.message, /body\.intent: required/);
    });

    it('names an unknown field, with a suggestion', async () => {
      const e = await invalid('/v1/request', { agent_id: 'soc-analyst', intnt: 'cves' });
      assert.ok(
        e.detail.problems.some(
          (p: { field: string; message: string }) =>
            p.field === 'intnt' && /did you mean intent/.test(p.message),
        ),
      );
    });

    it('names a wrongly typed or shaped field, nested ones by path', async () => {
      assert.equal(
        (await invalid('/v1/request', { agent_id: 7, intent: 'x' })).detail.field,
        'agent_id',
      );
      const ctx = await invalid('/v1/request', {
        agent_id: 'soc-analyst',
        intent: 'cves',
        context: { purpose: 'audit', sesion_id: 's' },
      });
      assert.equal(ctx.detail.field, 'context.sesion_id');
      assert.match(ctx.message, /did you mean session_id/);
      const op = await invalid('/v1/query', {
        agent_id: 'soc-analyst',
        data_types: ['vulnerability'],
        filters: [{ field: 'severity', operator: '~=', value: 'x' }],
      });
      assert.equal(op.detail.field, 'filters.0.operator');
      const empty = await invalid('/v1/query', { agent_id: 'soc-analyst', data_types: [] });
      assert.equal(empty.detail.field, 'data_types');
    });

    it('passes the broker’s own checks through (unknown data type)', async () => {
      const e = await invalid('/v1/query', {
        agent_id: 'soc-analyst',
        data_types: ['vulnerabilty'],
      });
      assert.match(e.message, /did you mean vulnerability/);
    });

    it('refuses a body that is not JSON, not an object, too large or of another type', async () => {
      const bad = await call(base, 'POST', '/v1/request', { key: KEYS.admin, raw: '{"agent_id":' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'NAU_REQUEST_INVALID');
      const arr = await call(base, 'POST', '/v1/request', { key: KEYS.admin, raw: '[1,2]' });
      assert.equal(arr.status, 400);
      assert.equal(arr.body.error.code, 'NAU_REQUEST_INVALID');
      const none = await call(base, 'POST', '/v1/request', { key: KEYS.admin });
      assert.equal(none.status, 400);
      assert.equal(none.body.error.code, 'NAU_REQUEST_INVALID');
      const big = await call(base, 'POST', '/v1/request', {
        key: KEYS.admin,
        body: { agent_id: 'soc-analyst', intent: 'x'.repeat(5000) },
      });
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, 'NAU_REQUEST_TOO_LARGE');
      const text = await call(base, 'POST', '/v1/request', {
        key: KEYS.admin,
        raw: 'agent_id=soc-analyst',
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(text.status, 415);
      assert.equal(text.body.error.code, 'NAU_REQUEST_MEDIA_TYPE');
    });

    it('checks path parameters and query strings too', async () => {
      const p = await call(base, 'GET', '/v1/sessions/a%20b', { key: KEYS.admin });
      assert.equal(p.status, 400);
      assert.equal(p.body.error.detail.in, 'params');
      assert.equal(p.body.error.detail.field, 'id');
      const q = await call(base, 'GET', '/v1/audit?limit=501', { key: KEYS.admin });
      assert.equal(q.status, 400);
      assert.equal(q.body.error.detail.field, 'limit');
      const t = await call(base, 'GET', '/v1/audit?since=2030-01-01T00:00:00', { key: KEYS.admin });
      assert.equal(t.status, 400, 'a time without a zone is refused');
      assert.equal(t.body.error.detail.field, 'since');
      const u = await call(base, 'GET', '/v1/audit?agnt=x', { key: KEYS.admin });
      assert.equal(u.status, 400);
      assert.match(u.body.error.message, /did you mean agent/);
    });
  });

  describe('sessions', () => {
    const session = 'audit-session-1';

    it('accumulates exposure across two requests in one session', async () => {
      const first = await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        body: {
          agent_id: 'auditor',
          intent: 'list employees for the compliance audit',
          context: { session_id: session },
        },
      });
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(first.body.sources_queried, ['hr-people']);
      assert.deepEqual(first.body.exposure_summary.flags, []);
      const second = await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        body: {
          agent_id: 'auditor',
          intent: 'ledger revenue for the audit',
          context: { session_id: session },
        },
      });
      assert.equal(second.status, 200, second.text);
      assert.deepEqual(second.body.sources_queried, ['finance-ledger']);
      const summary = second.body.exposure_summary;
      assert.deepEqual([...summary.sources].sort(), ['finance-ledger', 'hr-people']);
      assert.ok(summary.flags.includes('pii-financial-combination'));
      // Now PII is denied to this session.
      const third = await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        body: { agent_id: 'auditor', intent: 'list employees', context: { session_id: session } },
      });
      assert.deepEqual(third.body.sources_queried, []);
      assert.ok(
        third.body.sources_denied.some(
          (d: { rule: string }) => d.rule === 'policy::deny-pii-after-financial-combination',
        ),
      );
    });

    it('GET /v1/sessions/:id shows every exposure, flag and the summary', async () => {
      const r = await call(base, 'GET', `/v1/sessions/${session}`, { key: KEYS.demo });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.status, 'open');
      assert.deepEqual(
        r.body.exposures.map((e: { source_id: string }) => e.source_id),
        ['hr-people', 'finance-ledger'],
      );
      assert.ok(r.body.flags.some((f: { flag: string }) => f.flag === 'pii-financial-combination'));
    });

    it('a key bound to other agents may not read or close the session (403)', async () => {
      const g = await call(base, 'GET', `/v1/sessions/${session}`, { key: KEYS.soc });
      assert.equal(g.status, 403);
      assert.equal(g.body.error.code, 'NAU_AUTH_AGENT_FORBIDDEN');
      const d = await call(base, 'DELETE', `/v1/sessions/${session}`, { key: KEYS.soc });
      assert.equal(d.status, 403);
      const still = await call(base, 'GET', `/v1/sessions/${session}`, { key: KEYS.demo });
      assert.equal(still.body.status, 'open');
    });

    it('DELETE closes it; a closed session refuses requests (409); unknown ids are 404', async () => {
      const d = await call(base, 'DELETE', `/v1/sessions/${session}`, { key: KEYS.demo });
      assert.equal(d.status, 200, d.text);
      assert.deepEqual(d.body, { session_id: session, status: 'closed' });
      const again = await call(base, 'DELETE', `/v1/sessions/${session}`, { key: KEYS.demo });
      assert.equal(again.status, 200, 'closing twice is a no-op');
      const g = await call(base, 'GET', `/v1/sessions/${session}`, { key: KEYS.demo });
      assert.equal(g.body.status, 'closed');
      const r = await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        body: { agent_id: 'auditor', intent: 'ledger', context: { session_id: session } },
      });
      assert.equal(r.status, 409);
      assert.equal(r.body.error.code, 'NAU_SESSION_CLOSED');
      const u = await call(base, 'GET', '/v1/sessions/never-seen', { key: KEYS.demo });
      assert.equal(u.status, 404);
      assert.equal(u.body.error.code, 'NAU_SESSION_UNKNOWN');
      const ud = await call(base, 'DELETE', '/v1/sessions/never-seen', { key: KEYS.demo });
      assert.equal(ud.status, 404);
    });
  });

  describe('sources, JWKS, audit', () => {
    it('GET /v1/sources lists the sources without connection details', async () => {
      const r = await call(base, 'GET', '/v1/sources', { key: KEYS.soc });
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.sources.map((s: { id: string }) => s.id),
        ['vuln-scans', 'hr-people', 'finance-ledger'],
      );
      const vulns = r.body.sources[0];
      assert.equal(vulns.location, 'sqlite:vulns.db');
      assert.equal(vulns.connection, undefined);
      assert.doesNotMatch(r.text, new RegExp(copy.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    });

    it('GET /v1/keys/jwks.json verifies an attestation the server signed', async () => {
      const r = await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        body: { agent_id: 'auditor', intent: 'ledger revenue for the audit' },
      });
      const jwks = await call(base, 'GET', '/v1/keys/jwks.json', { key: KEYS.soc });
      assert.equal(jwks.status, 200);
      assert.equal(jwks.body.keys[0].kty, 'OKP');
      assert.equal(jwks.body.keys[0].d, undefined, 'no private part');
      const claims = await verifyAttestation(r.body.attestation_token, jwks.body);
      assert.equal(claims.request_id, r.body.request_id);
    });

    it('`nautilus attest verify --jwks <url>` fetches the JWKS with NAUTILUS_API_KEY', async () => {
      const r = await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        body: { agent_id: 'soc-analyst', intent: 'critical CVEs on 10.0.0.5' },
      });
      const run = (env: NodeJS.ProcessEnv) =>
        new Promise<{ status: number | null; out: string }>((resolve) => {
          const child = spawn(
            process.execPath,
            [
              '--import',
              'tsx',
              join(ROOT, 'src/cli/main.ts'),
              'attest',
              'verify',
              r.body.attestation_token,
              '--jwks',
              `${base}/v1/keys/jwks.json`,
            ],
            { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
          );
          let out = '';
          child.stdout.on('data', (b: Buffer) => {
            out += b.toString();
          });
          child.stderr.on('data', (b: Buffer) => {
            out += b.toString();
          });
          child.on('close', (status) => resolve({ status, out }));
        });
      const { NAUTILUS_API_KEY: _, ...without } = process.env;
      const ok = await run({ ...without, NAUTILUS_API_KEY: KEYS.soc });
      assert.equal(ok.status, 0, ok.out);
      assert.match(ok.out, new RegExp(`"request_id": "${r.body.request_id}"`));
      const refused = await run(without);
      assert.equal(refused.status, 2, refused.out);
      assert.match(refused.out, /HTTP 401/);
    });

    it('GET /v1/audit filters by agent, outcome, session, source and time', async () => {
      const page = async (q: string, key: string = KEYS.admin) => {
        const r = await call(base, 'GET', `/v1/audit?${q}`, { key });
        assert.equal(r.status, 200, r.text);
        return r.body as { entries: Record<string, unknown>[]; next_cursor: number | null };
      };
      const all = auditLines();
      const byAgent = await page('agent=auditor&limit=500');
      assert.ok(byAgent.entries.length > 0);
      assert.equal(byAgent.entries.length, all.filter((l) => l.agent_id === 'auditor').length);
      const denied = await page('outcome=denied&limit=500');
      assert.ok(denied.entries.length > 0);
      assert.ok(denied.entries.every((e) => e.outcome === 'denied'));
      const sess = await page('session=audit-session-1&limit=500');
      // Three requests, the close, then the request refused because the session was closed.
      assert.deepEqual(
        sess.entries.map((e) => [e.kind, e.outcome ?? null]),
        [
          ['request', 'ok'],
          ['request', 'ok'],
          ['request', 'denied'],
          ['session_closed', null],
          ['request', 'error'],
        ],
      );
      const src = await page('source=finance-ledger&kind=request&limit=500');
      assert.ok(src.entries.length > 0);
      for (const e of src.entries) assert.match(JSON.stringify(e), /finance-ledger/);
      const future = await page('since=2999-01-01');
      assert.deepEqual(future.entries, []);
      const past = await page('until=2000-01-01T00:00:00Z');
      assert.deepEqual(past.entries, []);
    });

    it('GET /v1/audit pages by cursor without gaps or overlaps', async () => {
      const all = auditLines().map((l) => l.seq);
      const seen: unknown[] = [];
      let cursor: number | null = 0;
      let pages = 0;
      while (cursor !== null) {
        const r = await call(base, 'GET', `/v1/audit?limit=3&cursor=${cursor}`, {
          key: KEYS.admin,
        });
        assert.equal(r.status, 200);
        assert.ok(r.body.entries.length <= 3);
        seen.push(...r.body.entries.map((e: { seq: number }) => e.seq));
        cursor = r.body.next_cursor;
        pages++;
        assert.ok(pages < 100);
      }
      assert.deepEqual(seen.slice(0, all.length), all);
    });

    it('a key bound to agents sees only their request lines', async () => {
      const r = await call(base, 'GET', '/v1/audit?limit=500', { key: KEYS.soc });
      assert.equal(r.status, 200);
      assert.ok(r.body.entries.length > 0);
      for (const e of r.body.entries) {
        assert.equal(e.kind, 'request');
        assert.equal(e.agent_id, 'soc-analyst');
      }
      const other = await call(base, 'GET', '/v1/audit?agent=auditor', { key: KEYS.soc });
      assert.equal(other.status, 403);
      assert.equal(other.body.error.code, 'NAU_AUTH_AGENT_FORBIDDEN');
    });
  });

  describe('metrics and logs', () => {
    it('GET /metrics reports the traffic so far', async () => {
      const r = await call(base, 'GET', '/metrics', { key: KEYS.soc });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      const value = (series: string): number => {
        const line = r.text.split('\n').find((l) => l.startsWith(`${series} `));
        assert.ok(line, `no series ${series}`);
        return Number(line.slice(series.length + 1));
      };
      const audit = auditLines().filter((l) => l.kind === 'request');
      const count = (o: string) => audit.filter((l) => l.outcome === o).length;
      assert.equal(value('nautilus_requests_total{outcome="ok"}'), count('ok'));
      assert.equal(value('nautilus_requests_total{outcome="denied"}'), count('denied'));
      // Refusals (4xx thrown by the broker) are `error` lines in the audit log.
      assert.ok(value('nautilus_requests_total{outcome="refused"}') >= 2);
      assert.ok(value('nautilus_adapter_query_seconds_count{source="vuln-scans"}') >= 3);
      assert.equal(
        value('nautilus_session_exposure_flags_total{flag="pii-financial-combination"}'),
        1,
      );
      assert.ok(
        value('nautilus_engine_evaluation_seconds_count{phase="route"}') >= audit.length - 5,
      );
      assert.ok(value('nautilus_engine_evaluation_seconds_count{phase="session"}') >= 3);
      assert.ok(value('nautilus_store_save_seconds_count{result="ok"}') >= 3);
      assert.ok(value('nautilus_audit_append_seconds_count{result="ok"}') >= audit.length);
      assert.ok(value('nautilus_session_lock_wait_seconds_count') >= 3);
      assert.equal(value('nautilus_engine_lock_wait_seconds_sum'), 0);
      assert.ok(value('nautilus_working_memory_facts') > 0);
      assert.equal(value('nautilus_sessions_open'), 0, 'the only session was closed');
      assert.ok(
        value('nautilus_http_requests_total{method="POST",route="/v1/request",status="200"}') > 0,
      );
      assert.match(r.text, /^nautilus_process_cpu_seconds_total /m, 'default process metrics');
    });

    it('logs one line per request with its ids, and never an API key', async () => {
      await call(base, 'POST', '/v1/request', {
        key: KEYS.demo,
        headers: { 'x-request-id': 'log-check-1' },
        body: { agent_id: 'auditor', intent: 'ledger', context: { session_id: 'log-session' } },
      });
      const line = server.logs.find(
        (l) => l.request_id === 'log-check-1' && l.msg === 'request completed',
      );
      assert.ok(line, 'a completion line');
      assert.equal(line.agent_id, 'auditor');
      assert.equal(line.session_id, 'log-session');
      assert.equal(line.status, 200);
      assert.equal(line.key_id, 'quickstart-demo');
      const broker = server.logs.find(
        (l) => l.request_id === 'log-check-1' && l.msg === 'broker request',
      );
      assert.ok(broker, 'the broker observer line (debug)');
      for (const raw of server.rawLogs)
        for (const key of Object.values(KEYS)) assert.ok(!raw.includes(key), 'a key in the log');
    });
  });
});
