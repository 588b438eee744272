import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type Adapter,
  createAdapter,
  RestAdapter,
  type RestAdapterOptions,
  type SourceSpec,
} from '../../src/adapters/index.ts';
import { assertNoLeak, ctx, intent, rejectsWith } from './fixtures.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const ITEMS = Array.from({ length: 30 }, (_, i) => ({
  id: i + 1,
  team: ['blue', 'red', 'green'][i % 3]!,
  owner: `user${i % 4}`,
  secret: `s-${i}`,
}));

let seen: Seen[] = [];
let otherHits = 0;
let port = 0;
let otherPort = 0;
const timers = new Set<NodeJS.Timeout>();

function json(res: http.ServerResponse, body: unknown, type = 'application/json'): void {
  res.setHeader('content-type', type);
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function filtered(q: URLSearchParams | Record<string, unknown>): typeof ITEMS {
  const get = (k: string): string[] => {
    if (q instanceof URLSearchParams) return q.getAll(k);
    const v = q[k];
    return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
  };
  const teams = get('team');
  const owners = get('owner');
  return ITEMS.filter(
    (r) =>
      (teams.length === 0 || teams.includes(r.team)) &&
      (owners.length === 0 || owners.includes(r.owner)),
  );
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => {
    body += c.toString();
  });
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const u = new URL(req.url ?? '/', 'http://x');
    const path = u.pathname.replace(/^\/api/, '');
    if (path === '/items') return json(res, filtered(u.searchParams));
    if (path === '/owners') return json(res, filtered(u.searchParams));
    if (path === '/records') return json(res, { records: filtered(u.searchParams), total: 1 });
    if (path === '/data') return json(res, { data: filtered(u.searchParams) });
    if (path === '/items-key') return json(res, { items: ITEMS });
    if (path === '/ignores') return json(res, ITEMS);
    if (path === '/search' && req.method === 'POST')
      return json(res, filtered(JSON.parse(body) as Record<string, unknown>));
    if (path === '/vnd')
      return json(res, ITEMS.slice(0, 2), 'application/vnd.api+json; charset=utf-8');
    if (path === '/html') return json(res, '<html>hi</html>', 'text/html');
    if (path === '/badjson') return json(res, '{"records": [1,');
    if (path === '/scalars') return json(res, [1, 2, 3]);
    if (path === '/auth') return json(res, [{ authorization: req.headers.authorization ?? null }]);
    if (path.startsWith('/redirect/')) {
      res.statusCode = Number(path.slice('/redirect/'.length));
      res.setHeader('location', `http://127.0.0.1:${otherPort}/steal`);
      return res.end();
    }
    if (path === '/error') {
      res.statusCode = 500;
      return res.end('secret-detail: stack trace at db.internal:5432');
    }
    if (path === '/slow') {
      const t = setTimeout(() => json(res, ITEMS), 3000);
      timers.add(t);
      res.on('close', () => clearTimeout(t));
      return;
    }
    if (path === '/hangup') {
      res.setHeader('content-type', 'application/json');
      res.write('[{"id": 1},');
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
});

const other = http.createServer((_req, res) => {
  otherHits++;
  json(res, [{ stolen: true }]);
});

const listen = (s: http.Server) =>
  new Promise<number>((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)),
  );

before(async () => {
  port = await listen(server);
  otherPort = await listen(other);
});

const opened: Adapter[] = [];
after(async () => {
  for (const a of opened) await a.close();
  for (const t of timers) clearTimeout(t);
  for (const s of [server, other]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const base = () => `http://127.0.0.1:${port}/api`;

function adapter(over: Partial<SourceSpec> = {}, options: RestAdapterOptions = {}): Adapter {
  const a = new RestAdapter(
    {
      id: 'tickets',
      type: 'rest',
      connection: base(),
      endpoints: [{ path: '/items', queryParams: ['team', 'owner'] }],
      allowPrivateNetwork: true,
      timeoutMs: 2000,
      ...over,
    },
    options,
  );
  opened.push(a);
  return a;
}

const fresh = () => {
  seen = [];
};

describe('rest adapter: scope as parameters', () => {
  test('= and IN become query parameters (IN repeated) and only matching records return', async () => {
    fresh();
    const r = await adapter().execute(
      intent,
      [
        { field: 'team', operator: 'IN', value: ['blue', 'red'] },
        { field: 'owner', operator: '=', value: 'user1' },
      ],
      ctx(),
    );
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.url, '/api/items?team=blue&team=red&owner=user1');
    assert.deepEqual(
      r.records.map((x) => x.id),
      ITEMS.filter((i) => ['blue', 'red'].includes(i.team) && i.owner === 'user1').map((i) => i.id),
    );
    assert.deepEqual(r.scopeApplied, [
      'team IN [blue, red] (query parameter)',
      'owner = [user1] (query parameter)',
    ]);
  });

  test('hostile values are encoded as one parameter value', async () => {
    fresh();
    const values = [
      'blue&admin=1',
      'x\r\nX-Injected: 1',
      '#frag',
      '../../etc/passwd',
      "' OR 1=1 --",
    ];
    for (const value of values) {
      const r = await adapter().execute(intent, [{ field: 'team', operator: '=', value }], ctx());
      assert.deepEqual(r.records, []);
    }
    assert.equal(seen.length, values.length);
    seen.forEach((s, i) => {
      const q = new URL(s.url, 'http://x').searchParams;
      assert.deepEqual([...q.keys()], ['team']);
      assert.equal(q.get('team'), values[i]);
      assert.equal(s.headers['x-injected'], undefined);
      assert.ok(s.url.startsWith('/api/items?'));
    });
  });

  test('operators other than = and IN are refused before any request', async () => {
    fresh();
    for (const c of [
      { field: 'team', operator: '!=', value: 'red' },
      { field: 'team', operator: 'NOT IN', value: ['red'] },
      { field: 'team', operator: 'LIKE', value: 'b%' },
      { field: 'team', operator: 'IS NULL' },
      { field: 'team', operator: '>', value: 'a' },
    ] as const) {
      const e = await rejectsWith(
        adapter().execute(intent, [c], ctx()),
        'scope_rejected',
        'NAU_SCOPE_UNSUPPORTED',
      );
      assert.match(e.message, /scope\[0\] \(field "team"\)/);
    }
    assert.equal(seen.length, 0);
  });

  test('a field no endpoint lists is refused before any request', async () => {
    fresh();
    await rejectsWith(
      adapter().execute(intent, [{ field: 'secret', operator: '=', value: 's-1' }], ctx()),
      'scope_rejected',
      'NAU_SCOPE_UNSUPPORTED',
    );
    assert.equal(seen.length, 0);
  });

  test('the first endpoint that accepts every scoped field is used', async () => {
    fresh();
    const a = adapter({
      endpoints: [
        { path: '/items', queryParams: ['team'] },
        { path: '/owners', queryParams: ['team', 'owner'] },
      ],
    });
    await a.execute(intent, [{ field: 'team', operator: '=', value: 'red' }], ctx());
    await a.execute(intent, [{ field: 'owner', operator: '=', value: 'user2' }], ctx());
    assert.deepEqual(
      seen.map((s) => s.url),
      ['/api/items?team=red', '/api/owners?owner=user2'],
    );
  });

  test('constraints on one field intersect; an empty intersection calls nothing', async () => {
    fresh();
    const a = adapter();
    const r = await a.execute(
      intent,
      [
        { field: 'team', operator: 'IN', value: ['blue', 'red'] },
        { field: 'team', operator: '=', value: 'red' },
      ],
      ctx(),
    );
    assert.equal(seen[0]!.url, '/api/items?team=red');
    assert.ok(r.records.every((x) => x.team === 'red'));
    fresh();
    const none = await a.execute(
      intent,
      [
        { field: 'team', operator: '=', value: 'blue' },
        { field: 'team', operator: '=', value: 'red' },
      ],
      ctx(),
    );
    assert.deepEqual(none.records, []);
    assert.equal(seen.length, 0);
  });

  test('an upstream that ignores the filter fails the source', async () => {
    const e = await rejectsWith(
      adapter({ endpoints: [{ path: '/ignores', queryParams: ['team'] }] }).execute(
        intent,
        [{ field: 'team', operator: '=', value: 'blue' }],
        ctx(),
      ),
      'invalid_response',
    );
    assert.match(e.message, /outside the requested scope/);
  });

  test('POST endpoints get the scope as a JSON body', async () => {
    fresh();
    const r = await adapter({
      endpoints: [{ path: '/search', method: 'POST', queryParams: ['team', 'owner'] }],
    }).execute(
      intent,
      [
        { field: 'team', operator: 'IN', value: ['green', 'red'] },
        { field: 'owner', operator: '=', value: 'user0' },
      ],
      ctx(),
    );
    assert.equal(seen[0]!.method, 'POST');
    assert.deepEqual(JSON.parse(seen[0]!.body), { team: ['green', 'red'], owner: 'user0' });
    assert.ok(r.records.length > 0);
  });
});

describe('rest adapter: responses', () => {
  test('records from an array, {records}, {data} and +json types', async () => {
    for (const path of ['/items', '/records', '/data']) {
      const r = await adapter({ endpoints: [{ path, queryParams: ['team'] }] }).execute(
        intent,
        [{ field: 'team', operator: '=', value: 'green' }],
        ctx(),
      );
      assert.equal(r.records.length, 10, path);
    }
    const vnd = await adapter({ endpoints: [{ path: '/vnd' }] }).execute(intent, [], ctx());
    assert.equal(vnd.records.length, 2);
  });

  test('other shapes, non-JSON and malformed bodies are invalid responses', async () => {
    for (const path of ['/items-key', '/html', '/badjson', '/scalars'])
      await rejectsWith(
        adapter({ endpoints: [{ path }] }).execute(intent, [], ctx()),
        'invalid_response',
        'NAU_ADAPTER_INVALID_RESPONSE',
      );
  });

  test('a response larger than the byte cap is refused', async () => {
    const e = await rejectsWith(
      adapter({}, { maxResponseBytes: 500 }).execute(intent, [], ctx()),
      'invalid_response',
    );
    assert.match(e.message, /larger than 500 bytes/);
  });

  test('a connection dropped mid-body is a failure, not a partial result', async () => {
    const e = await rejectsWith(
      adapter({ endpoints: [{ path: '/hangup' }] }).execute(intent, [], ctx()),
      'connection',
    );
    assert.match(e.message, /before the response was complete/);
  });

  test('allowed_columns projects every record', async () => {
    const r = await adapter({ allowedColumns: ['id', 'team'] }).execute(intent, [], ctx());
    assert.equal(r.records.length, 30);
    for (const rec of r.records) assert.deepEqual(Object.keys(rec), ['id', 'team']);
    await rejectsWith(
      adapter({ allowedColumns: ['id', 'team'] }).execute(
        intent,
        [{ field: 'owner', operator: '=', value: 'user1' }],
        ctx(),
      ),
      'scope_rejected',
      'NAU_SCOPE_INVALID',
    );
  });

  test('row cap and truncated flag', async () => {
    const r = await adapter({ maxRows: 7 }).execute(intent, [], ctx());
    assert.equal(r.records.length, 7);
    assert.equal(r.truncated, true);
    const all = await adapter({ maxRows: 30 }).execute(intent, [], ctx());
    assert.equal(all.truncated, false);
  });

  test('HTTP errors are upstream_status without the body text', async () => {
    const e = await rejectsWith(
      adapter({ endpoints: [{ path: '/error' }] }).execute(intent, [], ctx()),
      'upstream_status',
    );
    assert.match(e.message, /500/);
    assertNoLeak(e, ['secret-detail', 'db.internal']);
    const nf = await rejectsWith(
      adapter({ endpoints: [{ path: '/missing' }] }).execute(intent, [], ctx()),
      'upstream_status',
    );
    assert.match(nf.message, /404/);
  });

  test('bearer and basic credentials are sent as Authorization', async () => {
    const bearer = await adapter({
      endpoints: [{ path: '/auth' }],
      auth: { type: 'bearer', token: 'tok-123' },
    }).execute(intent, [], ctx());
    assert.equal(bearer.records[0]!.authorization, 'Bearer tok-123');
    const basic = await adapter({
      endpoints: [{ path: '/auth' }],
      auth: { type: 'basic', username: 'svc', password: 'pä ss' },
    }).execute(intent, [], ctx());
    assert.equal(
      basic.records[0]!.authorization,
      `Basic ${Buffer.from('svc:pä ss').toString('base64')}`,
    );
    const none = await adapter({ endpoints: [{ path: '/auth' }] }).execute(intent, [], ctx());
    assert.equal(none.records[0]!.authorization, null);
  });
});

describe('rest adapter: redirects, deadlines, failures', () => {
  for (const status of [301, 302, 303, 307, 308])
    test(`a ${status} redirect is refused and not followed`, async () => {
      fresh();
      otherHits = 0;
      await rejectsWith(
        adapter({ endpoints: [{ path: `/redirect/${status}` }] }).execute(intent, [], ctx()),
        'redirect_blocked',
        'NAU_ADAPTER_REDIRECT_BLOCKED',
      );
      assert.equal(seen.length, 1);
      assert.equal(otherHits, 0);
    });

  test('a slow upstream fails as timeout', async () => {
    const e = await rejectsWith(
      adapter({ endpoints: [{ path: '/slow' }], timeoutMs: 200 }).execute(intent, [], ctx()),
      'timeout',
      'NAU_ADAPTER_TIMEOUT',
    );
    assert.match(e.message, /200 ms/);
  });

  test('an aborted request fails as timeout (cancelled)', async () => {
    const ac = new AbortController();
    const p = adapter({ endpoints: [{ path: '/slow' }], timeoutMs: 10_000 }).execute(
      intent,
      [],
      ctx({ signal: ac.signal }),
    );
    setTimeout(() => ac.abort(), 50);
    const e = await rejectsWith(p, 'timeout');
    assert.match(e.message, /cancelled/);
  });

  test('a closed port is a connection failure', async () => {
    const closed = http.createServer();
    const p = await listen(closed);
    await new Promise((r) => closed.close(r));
    const e = await rejectsWith(
      adapter({ connection: `http://127.0.0.1:${p}/api` }).execute(intent, [], ctx()),
      'connection',
    );
    assert.match(e.message, /ECONNREFUSED/);
    const h = await adapter({ connection: `http://127.0.0.1:${p}/api` }).health();
    assert.equal(h.ok, false);
    assert.deepEqual(await adapter().health(), { ok: true });
  });

  test('createAdapter builds a rest adapter from a spec', async () => {
    const a = createAdapter({
      id: 'x',
      type: 'rest',
      connection: base(),
      endpoints: [{ path: '/items' }],
      allowPrivateNetwork: true,
    });
    opened.push(a);
    assert.equal((await a.execute(intent, [], ctx())).records.length, 30);
  });
});

describe('rest adapter: SSRF policy', () => {
  test('loopback is refused by default, in every spelling, before any connection', async () => {
    fresh();
    for (const host of [
      '127.0.0.1',
      '127.1',
      '2130706433',
      '0x7f000001',
      '0x7f.0.0.1',
      '0177.0.0.1',
      '0177.0.0.01',
      '127.000.000.001',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '[0:0:0:0:0:ffff:127.0.0.1]',
      'localhost',
    ]) {
      const e = await rejectsWith(
        adapter({ connection: `http://${host}:${port}/api`, allowPrivateNetwork: false }).execute(
          intent,
          [],
          ctx(),
        ),
        'ssrf_blocked',
        'NAU_ADAPTER_SSRF_BLOCKED',
      );
      assert.match(e.message, /loopback/, host);
      assert.match(e.message, /allow_private_network/);
    }
    assert.equal(seen.length, 0, 'the server was never reached');
  });

  test('private, link-local, CGNAT, reserved and embedded-IPv4 targets are refused', async () => {
    for (const host of [
      '10.0.0.1',
      '0x0a000001',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.1.1',
      '100.64.0.1',
      '100.127.255.254',
      '198.18.0.1',
      '192.0.2.1',
      '[fd00::1]',
      '[fc00::1]',
      '[fe80::1]',
      '[fec0::1]',
      '[::ffff:10.0.0.1]',
      '[::ffff:192.168.0.1]',
      '[64:ff9b::a00:1]',
      '[2002:c0a8:101::1]',
      '[2001:db8::1]',
      '[::10.0.0.1]',
    ])
      await rejectsWith(
        adapter({
          connection: `http://${host}/api`,
          allowPrivateNetwork: false,
          timeoutMs: 500,
        }).execute(intent, [], ctx()),
        'ssrf_blocked',
      );
  });

  test('unspecified, multicast, broadcast and metadata are refused even with allow_private_network', async () => {
    for (const host of [
      '0.0.0.0',
      '0',
      '[::]',
      '224.0.0.1',
      '239.255.255.250',
      '[ff02::1]',
      '255.255.255.255',
      '169.254.169.254',
      '2852039166',
      '[::ffff:169.254.169.254]',
      '[fd00:ec2::254]',
      '100.100.100.200',
    ]) {
      const e = await rejectsWith(
        adapter({
          connection: `http://${host}/api`,
          allowPrivateNetwork: true,
          timeoutMs: 500,
        }).execute(intent, [], ctx()),
        'ssrf_blocked',
      );
      assert.match(e.message, /never allowed/, host);
    }
  });

  test('a host name is refused when any of its addresses is refused', async () => {
    let calls = 0;
    const resolver = async (): Promise<LookupAddress[]> => {
      calls++;
      return [
        { address: '93.184.216.34', family: 4 },
        { address: '10.1.2.3', family: 4 },
      ];
    };
    const e = await rejectsWith(
      adapter(
        { connection: 'http://api.example.test/api', allowPrivateNetwork: false },
        { resolver },
      ).execute(intent, [], ctx()),
      'ssrf_blocked',
    );
    assert.match(e.message, /api\.example\.test resolves to a private-network address/);
    assert.doesNotMatch(e.message, /10\.1\.2\.3/);
    assert.equal(calls, 1);
  });

  test('the connection goes to the vetted address, resolved once (no rebinding window)', async () => {
    fresh();
    const answers: LookupAddress[][] = [[{ address: '127.0.0.1', family: 4 }]];
    let calls = 0;
    // A rebinding resolver: any second lookup would answer with a different address.
    const resolver = async (): Promise<LookupAddress[]> => {
      calls++;
      return answers[calls - 1] ?? [{ address: '192.0.2.66', family: 4 }];
    };
    const a = adapter({ connection: `http://svc.rebind.test:${port}/api` }, { resolver });
    const r = await a.execute(intent, [{ field: 'team', operator: '=', value: 'blue' }], ctx());
    assert.equal(r.records.length, 10);
    assert.equal(calls, 1, 'the socket did not resolve the name again');
    assert.equal(seen[0]!.headers.host, `svc.rebind.test:${port}`);
  });

  test('a name that does not resolve is a connection failure', async () => {
    const resolver = async (): Promise<LookupAddress[]> => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
    };
    const e = await rejectsWith(
      adapter({ connection: 'http://nowhere.test/api' }, { resolver }).execute(intent, [], ctx()),
      'connection',
    );
    assert.match(e.message, /ENOTFOUND/);
  });
});

describe('rest adapter: configuration', () => {
  const spec = (over: Partial<SourceSpec>): SourceSpec => ({
    id: 'r',
    type: 'rest',
    connection: 'https://api.example.com/v1',
    endpoints: [{ path: '/items' }],
    ...over,
  });
  const bad: [Partial<SourceSpec>, RegExp][] = [
    [{ connection: 'ftp://example.com' }, /connection/],
    [{ connection: 'not a url' }, /connection/],
    [{ connection: 'https://user:pw@example.com' }, /credentials/],
    [{ connection: 'https://example.com/?a=1' }, /query/],
    [{ endpoints: [] }, /endpoints/],
    [{ endpoints: [{ path: 'items' }] }, /path/],
    [{ endpoints: [{ path: '/../admin' }] }, /path/],
    [{ endpoints: [{ path: '/a/./b' }] }, /path/],
    [{ endpoints: [{ path: '//evil.com/x' }] }, /path/],
    [{ endpoints: [{ path: '/a?x=1' }] }, /path/],
    [{ endpoints: [{ path: '/a%2f..' }] }, /path/],
    [{ endpoints: [{ path: '/a\\b' }] }, /path/],
    [{ endpoints: [{ path: '/items', queryParams: ['a&b'] }] }, /query_params/],
    [{ endpoints: [{ path: '/items' }, { path: '/items' }] }, /twice/],
    [{ auth: { type: 'bearer', token: 'abc\r\nX-Evil: 1' } }, /auth\.token/],
    [{ auth: { type: 'basic', username: 'a:b', password: 'x' } }, /auth\.username/],
    [{ auth: { type: 'basic', username: 'a', password: 'x\ny' } }, /auth\.password/],
    [{ allowedColumns: [] }, /allowed_columns/],
  ];
  for (const [over, re] of bad)
    test(`refuses ${JSON.stringify(over)}`, () => {
      assert.throws(
        () => new RestAdapter(spec(over)),
        (e: unknown) =>
          e instanceof Error &&
          (e as { code?: string }).code === 'NAU_ADAPTER_CONFIG' &&
          re.test(e.message),
      );
    });
});
