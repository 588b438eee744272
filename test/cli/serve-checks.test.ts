// What `nautilus serve` checks before starting: --bind values, loopback addresses, --air-gapped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { airGapProblems, isLoopbackHost, parseBind } from '../../src/cli/serve-checks.ts';
import { parseConfig } from '../../src/config/index.ts';

describe('parseBind', () => {
  it('reads host:port, [v6]:port and :port', () => {
    assert.deepEqual(parseBind('127.0.0.1:8080', 'x'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseBind('[::1]:0', 'x'), { host: '::1', port: 0 });
    assert.deepEqual(parseBind(':9000', '127.0.0.1'), { host: '127.0.0.1', port: 9000 });
    assert.deepEqual(parseBind('0.0.0.0:65535', 'x'), { host: '0.0.0.0', port: 65535 });
  });

  it('refuses anything else', () => {
    for (const bad of ['8080', 'host', 'host:', 'host:99999', 'a:b', '::1:80', 'h:80:90', ''])
      assert.equal(parseBind(bad, 'x'), null, bad);
  });
});

describe('isLoopbackHost', () => {
  it('knows loopback names and addresses', () => {
    for (const h of [
      'localhost',
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
      'a.localhost',
    ])
      assert.equal(isLoopbackHost(h), true, h);
    for (const h of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '128.0.0.1',
      'example.com',
      'localhost.example.com',
      '::ffff:10.0.0.1',
    ])
      assert.equal(isLoopbackHost(h), false, h);
  });
});

describe('airGapProblems', () => {
  const config = (sources: string, store = '') =>
    parseConfig(`sources:\n${sources}\nagents: { allow_unregistered: true }\n${store}`, {
      file: 'nautilus.yaml',
      dir: '/tmp',
    });
  const rest = (id: string, url: string, extra = '') => `  - id: ${id}
    type: rest
    classification: unclassified
    data_types: [ticket]
    connection: ${url}
    endpoints: [{ path: /t }]
${extra}`;
  const pg = (id: string, dsn: string) => `  - id: ${id}
    type: postgres
    classification: unclassified
    data_types: [asset]
    connection: "${dsn}"
    table: assets
`;

  it('accepts sources on this host only', () => {
    const c = config(
      rest('local', 'http://127.0.0.1:9000/api', '    allow_private_network: true\n') +
        pg('sock', 'postgres:///cmdb?host=/var/run/postgresql') +
        pg('kv', 'host=localhost dbname=cmdb') +
        pg('v6', 'postgres://u@[::1]:5432/cmdb'),
    );
    assert.deepEqual(airGapProblems(c, {}), []);
  });

  it('names every source and store that reaches out', () => {
    const c = config(
      rest('tickets', 'https://tickets.example.com/api') +
        pg('cmdb', 'postgres://u:pw@db.internal:5432/cmdb') +
        pg('multi', 'postgres://u@localhost:5432,10.0.0.7:5432/cmdb') +
        pg('kv', "host='10.1.1.1' dbname=x"),
      'session_store: { backend: postgres, dsn: "postgres://nautilus@pg.prod/sessions" }\n',
    );
    assert.deepEqual(airGapProblems(c, {}), [
      'sources tickets: rest source on tickets.example.com',
      'sources cmdb: postgres source on db.internal',
      'sources multi: postgres source on 10.0.0.7',
      'sources kv: postgres source on 10.1.1.1',
      'session_store: postgres on pg.prod',
    ]);
  });

  it('follows PGHOST when a connection string names no host', () => {
    const c = config(pg('nohost', 'dbname=cmdb'));
    assert.deepEqual(airGapProblems(c, {}), []);
    assert.deepEqual(airGapProblems(c, { PGHOST: 'db.remote' }), [
      'sources nohost: postgres source on db.remote',
    ]);
  });
});
