// A custom adapter (BrokerOptions.adapterFactory) is held to the same contract as the built-in
// ones: its rows are capped at max_rows, a malformed result fails only that source, an adapter
// that never answers is cut off at its deadline, and its values reach the caller as JSON.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Adapter, type AdapterResult, createAdapter } from '../../src/adapters/index.ts';
import { canonicalHash } from '../../src/attest/index.ts';
import { Broker } from '../../src/broker/index.ts';

const QUICKSTART = fileURLToPath(new URL('../../examples/quickstart', import.meta.url));
const NOW = new Date('2026-11-25T12:00:00Z');

type Behaviour = () => Promise<AdapterResult>;
let behaviour: Behaviour = async () => ({ records: [], truncated: false, scopeApplied: [] });

/** vuln-scans is served by a custom adapter whose behaviour each test sets. */
function factory(spec: Parameters<typeof createAdapter>[0]): Adapter {
  if (spec.id !== 'vuln-scans') return createAdapter(spec);
  return {
    sourceId: spec.id,
    connect: async () => {},
    close: async () => {},
    health: async () => ({ ok: true }),
    execute: () => behaviour(),
  };
}

describe('Broker with a custom adapter', () => {
  let dir: string;
  let broker: Broker;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nautilus-broker-custom-'));
    cpSync(QUICKSTART, dir, { recursive: true, filter: (p) => !p.includes('.nautilus') });
    // A short deadline and a small row cap for vuln-scans.
    const config = join(dir, 'nautilus.yaml');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(
        '    table: findings\n',
        '    table: findings\n    timeout_ms: 200\n    max_rows: 10\n',
      ),
    );
    broker = await Broker.fromConfig(config, {
      clock: () => NOW,
      auditFsync: false,
      warn: () => {},
      adapterFactory: factory,
    });
  });
  after(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('caps rows at max_rows even when the adapter ignores it, and returns JSON data', async () => {
    behaviour = async () => ({
      records: Array.from({ length: 25 }, (_, i) => ({
        id: BigInt(i),
        seen: new Date(Date.UTC(2026, 10, 1 + i)),
      })),
      truncated: false,
      scopeApplied: [],
    });
    const r = await broker.query('soc-analyst', { dataTypes: ['vulnerability'] });
    const d = r.data['vuln-scans'];
    assert.equal(d?.record_count, 10);
    assert.equal(d?.records.length, 10);
    assert.equal(d?.truncated, true);
    assert.deepEqual(d?.records[1], { id: '1', seen: '2026-11-02T00:00:00.000Z' });
    const token = r.attestation_token as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
    assert.equal(claims.response_hash, canonicalHash(r.data));
  });

  it('a malformed result fails that source only, as invalid_response', async () => {
    behaviour = async () => ({ records: [1, 2], truncated: false, scopeApplied: [] }) as never;
    const r = await broker.request('auditor', 'critical CVEs and the ledger for the audit');
    assert.deepEqual(r.sources_failed, [
      { source_id: 'vuln-scans', error_class: 'invalid_response' },
    ]);
    assert.deepEqual(r.sources_queried, ['finance-ledger']);
  });

  it('an adapter that never answers is cut off after its deadline', async () => {
    behaviour = () => new Promise<AdapterResult>(() => {});
    const started = performance.now();
    const r = await broker.query('soc-analyst', { dataTypes: ['vulnerability'] });
    assert.ok(performance.now() - started < 10_000, 'the deadline fired');
    assert.deepEqual(r.sources_failed, [{ source_id: 'vuln-scans', error_class: 'timeout' }]);
    assert.deepEqual(r.sources_queried, []);
  });
});
