// /openapi.json: a well-formed OpenAPI 3.1 document listing every route, and request schemas that
// accept and refuse exactly what the handlers do. The second part is differential: the same
// bodies go to the real server and to a bare fastify app validating with the document's own
// JSON Schemas (fastify's Ajv, strict: nothing removed, nothing coerced); both must agree.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { call, KEYS, quickstartCopy, startTestServer, type TestServer } from './rest-fixture.ts';

const ROUTES = [
  'POST /v1/request',
  'POST /v1/query',
  'GET /v1/sessions/{id}',
  'DELETE /v1/sessions/{id}',
  'GET /v1/sources',
  'GET /v1/audit',
  'GET /v1/keys/jwks.json',
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
];

// biome-ignore lint/suspicious/noExplicitAny: a parsed JSON document, checked field by field
type Json = Record<string, any>;

describe('OpenAPI document', () => {
  let copy: ReturnType<typeof quickstartCopy>;
  let server: TestServer;
  let doc: Json;
  before(async () => {
    copy = quickstartCopy();
    server = await startTestServer(copy.config);
    await server.ready;
    const r = await call(server.url, 'GET', '/openapi.json', { key: KEYS.demo });
    assert.equal(r.status, 200);
    doc = r.body;
  });
  after(async () => {
    await server.shutdown({ timeoutMs: 5000 });
    copy.cleanup();
  });

  it('lists exactly the served routes', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.title, 'Nautilus');
    const listed = Object.entries(doc.paths as Json).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    assert.deepEqual([...listed].sort(), [...ROUTES].sort());
  });

  it('is well-formed: unique operation ids, declared path parameters, resolvable refs', () => {
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(ops as Json)) {
        const at = `${method} ${path}`;
        assert.equal(typeof op.operationId, 'string', at);
        assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`);
        ids.add(op.operationId);
        assert.ok(Object.keys(op.responses).length > 0, at);
        for (const [status, res] of Object.entries(op.responses as Json)) {
          assert.match(status, /^[1-5]\d\d$/, at);
          assert.equal(typeof res.description, 'string', `${at} ${status}`);
        }
        const declared = (op.parameters ?? [])
          .filter((p: Json) => p.in === 'path')
          .map((p: Json) => p.name);
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        assert.deepEqual(declared, inPath, `${at}: path parameters`);
        for (const s of op.security ?? [])
          for (const name of Object.keys(s))
            assert.ok(doc.components.securitySchemes[name], `${at}: scheme ${name}`);
        // api.public_metrics is off in this config: only the probes are open.
        const expectKey = !['/healthz', '/readyz'].includes(path);
        assert.equal((op.security ?? []).length > 0, expectKey, `${at}: security`);
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((o, k) => (o as Json | undefined)?.[k], doc);
      assert.ok(target, `unresolved ${ref}`);
    }
  });

  it('documents the audit query parameters and the session id', () => {
    const audit = doc.paths['/v1/audit'].get.parameters.map((p: Json) => p.name);
    assert.deepEqual(audit, [
      'agent',
      'source',
      'session',
      'outcome',
      'kind',
      'since',
      'until',
      'cursor',
      'limit',
    ]);
    const limit = doc.paths['/v1/audit'].get.parameters.find((p: Json) => p.name === 'limit');
    assert.equal(limit.schema.maximum, 500);
  });

  describe('request schemas match what the handlers validate', () => {
    let reference: FastifyInstance;
    before(async () => {
      reference = Fastify({
        ajv: {
          customOptions: {
            removeAdditional: false,
            coerceTypes: false,
            useDefaults: false,
            allErrors: true,
            allowUnionTypes: true,
          },
        },
      });
      for (const path of ['/v1/request', '/v1/query']) {
        const schema = doc.paths[path].post.requestBody.content['application/json'].schema;
        reference.post(path, { schema: { body: schema } }, async () => ({ ok: true }));
      }
      await reference.ready();
    });
    after(() => reference.close());

    /** True when the server refuses the body in its own validation (not later, in the broker). */
    async function serverRefuses(path: string, body: unknown): Promise<boolean> {
      const r = await call(server.url, 'POST', path, { key: KEYS.admin, body });
      if (r.status === 400 && r.body.error.detail?.in === 'body') return true;
      assert.ok(r.status !== 413, 'keep bodies under the limit');
      return false;
    }
    async function schemaRefuses(path: string, body: unknown): Promise<boolean> {
      const r = await reference.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      assert.ok(r.statusCode === 200 || r.statusCode === 400, r.body);
      return r.statusCode === 400;
    }
    async function agree(path: string, body: unknown): Promise<void> {
      const [s, d] = [await serverRefuses(path, body), await schemaRefuses(path, body)];
      assert.equal(s, d, `${path} ${JSON.stringify(body)}: server refuses ${s}, document ${d}`);
    }

    const agentId = fc.oneof(
      fc.constantFrom('soc-analyst', 'auditor', 'a@b:c/d.e', '', 'has space', 'x'.repeat(129)),
      fc.integer(),
      fc.constant(null),
    );
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constant(''),
      fc.integer(),
      fc.boolean(),
    );
    const context = fc.oneof(
      fc.record(
        {
          purpose: fc.oneof(fc.constantFrom('audit', ''), fc.integer()),
          session_id: fc.oneof(fc.constantFrom('s-1', 'bad id', ''), fc.integer()),
          request_id: fc.constantFrom('r-1', 'bad id'),
          clearance: fc.constantFrom('cui', ''),
          compartments: fc.oneof(fc.constant(['a']), fc.constant(['']), fc.constant('a')),
          sesion_id: fc.constant('typo'),
        },
        { requiredKeys: [] },
      ),
      fc.constant(null),
      fc.constant([]),
    );

    it('POST /v1/request', async () => {
      const handmade: unknown[] = [
        { agent_id: 'soc-analyst', intent: 'critical CVEs' },
        { agent_id: 'soc-analyst' },
        { intent: 'x' },
        {},
        { agent_id: 'soc-analyst', intent: 'x', extra: 1 },
        { agent_id: 'soc-analyst', intent: 'x', context: { purpose: 'audit', session_id: 's' } },
        { agent_id: 'soc-analyst', intent: 'x', context: { nope: 1 } },
        [],
        'a string',
      ];
      for (const body of handmade) await agree('/v1/request', body);
      await fc.assert(
        fc.asyncProperty(
          fc.record(
            { agent_id: agentId, intent: text, context, other: fc.constant(1) },
            { requiredKeys: [] },
          ),
          (body) => agree('/v1/request', body),
        ),
        { numRuns: 120, seed: 42 },
      );
    });

    it('POST /v1/query', async () => {
      const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean());
      const filter = fc.oneof(
        fc.record(
          {
            field: fc.oneof(fc.constantFrom('severity', '', 'x'.repeat(129)), fc.integer()),
            operator: fc.constantFrom('=', 'IN', 'IS NULL', 'BETWEEN', 'in', '~='),
            value: fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.constant(null)),
            extra: fc.constant(true),
          },
          { requiredKeys: [] },
        ),
        fc.constant('severity = high'),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.record(
            {
              agent_id: agentId,
              data_types: fc.oneof(
                fc.constant(['vulnerability']),
                fc.constant([]),
                fc.constant(['']),
                fc.constant('vulnerability'),
                fc.array(fc.constantFrom('pii', 'asset', 'x'.repeat(129)), { maxLength: 3 }),
              ),
              filters: fc.oneof(fc.array(filter, { maxLength: 3 }), fc.constant({})),
              purpose: fc.oneof(fc.constantFrom('audit', ''), fc.integer(), fc.constant(null)),
              context,
              other: fc.constant('x'),
            },
            { requiredKeys: [] },
          ),
          (body) => agree('/v1/query', body),
        ),
        { numRuns: 120, seed: 7 },
      );
    });
  });
});
