// The broker end to end on real SQLite sources: routing, denials, scope applied to the rows
// actually returned, allowed_columns, refusals of bad input, attestation and the audit chain.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyAuditFile } from '../../src/audit/index.ts';
import { Broker } from '../../src/broker/index.ts';
import { NautilusError } from '../../src/errors.ts';

const QUICKSTART = fileURLToPath(new URL('../../examples/quickstart', import.meta.url));
const NOW = new Date('2026-11-25T12:00:00Z');

function rejectsWith(code: string) {
  return (x: unknown) => x instanceof NautilusError && x.code === code;
}

describe('Broker on the quickstart config', () => {
  let dir: string;
  let broker: Broker;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nautilus-broker-'));
    cpSync(QUICKSTART, dir, { recursive: true, filter: (p) => !p.includes('.nautilus') });
    broker = await Broker.fromConfig(join(dir, 'nautilus.yaml'), {
      clock: () => NOW,
      auditFsync: false,
      warn: () => {},
    });
  });
  after(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes by data type, applies the request filters as row scope, and denies by policy', async () => {
    const r = await broker.request('soc-analyst', 'critical CVEs on 10.0.0.5 in the last 30 days');
    assert.deepEqual(r.sources_queried, ['vuln-scans']);
    const rows = r.data['vuln-scans']?.records ?? [];
    // Only rows inside the scope come back: ip, severity and date all narrowed the query.
    assert.deepEqual(rows.map((x) => x.cve_id).sort(), ['CVE-2024-3094']);
    assert.ok(rows.every((x) => x.ip === '10.0.0.5' && x.severity === 'critical'));
    const denied = new Set(r.sources_denied.map((d) => `${d.source_id} ${d.rule}`));
    assert.ok(denied.has('hr-people policy::deny-above-clearance'));
    assert.ok(denied.has('finance-ledger policy::deny-above-clearance'));
    assert.ok(r.routing_trace.includes('routing::route-by-data-type'));
    assert.equal(r.session_id, null);
    assert.equal(r.exposure_summary, null);
  });

  it('returns only allowed_columns', async () => {
    const r = await broker.request('hr-assistant', 'list employees for onboarding');
    assert.deepEqual(r.sources_queried, ['hr-people']);
    const rows = r.data['hr-people']?.records ?? [];
    assert.equal(rows.length, 4);
    for (const row of rows) assert.equal('ssn' in row, false, 'ssn is not an allowed column');
    assert.deepEqual(r.filters_not_applied, {});
  });

  it('reports caller filters a source has no allowed column for', async () => {
    const r = await broker.request('hr-assistant', 'list employees using 10.0.0.5 for onboarding');
    assert.deepEqual(r.sources_queried, ['hr-people']);
    // hr-people has no ip column: its rows are not narrowed, and the response says so.
    assert.deepEqual(r.filters_not_applied, { 'hr-people': ['ip'] });
    assert.equal(r.data['hr-people']?.record_count, 4);
  });

  it('denies a source whose purposes exclude the request purpose, whatever the clearance', async () => {
    const r = await broker.request('auditor', 'list employees', { purpose: 'marketing' });
    assert.deepEqual(r.sources_queried, []);
    assert.ok(
      r.sources_denied.some(
        (d) => d.source_id === 'hr-people' && d.rule === 'policy::deny-purpose-not-allowed',
      ),
    );
  });

  it('never lets an agent claim more clearance than registered', async () => {
    const r = await broker.request('soc-analyst', 'ledger revenue for the audit', {
      clearance: 'top-secret',
      purpose: 'audit',
    });
    assert.deepEqual(r.sources_queried, []);
    assert.ok(r.sources_denied.some((d) => d.reason.includes('clearance cui')));
  });

  it('structured queries skip analysis', async () => {
    const r = await broker.query('soc-analyst', {
      dataTypes: ['vulnerability'],
      filters: [{ field: 'severity', operator: '=', value: 'high' }],
    });
    assert.deepEqual(r.sources_queried, ['vuln-scans']);
    assert.equal(r.intent.structured, true);
    assert.ok((r.data['vuln-scans']?.records ?? []).every((x) => x.severity === 'high'));
  });

  it('refuses bad input with clear codes and queries nothing', async () => {
    await assert.rejects(broker.request('intruder', 'employees'), rejectsWith('NAU_AGENT_UNKNOWN'));
    await assert.rejects(
      broker.request("soc'; DROP TABLE findings; --", 'cves'),
      rejectsWith('NAU_REQUEST_INVALID'),
    );
    await assert.rejects(
      broker.request('soc-analyst', 'cves', { purpse: 'audit' } as never),
      (x: unknown) => x instanceof NautilusError && /did you mean purpose/.test(x.message),
    );
    await assert.rejects(
      broker.request('soc-analyst', 'x'.repeat(100_000)),
      rejectsWith('NAU_REQUEST_INVALID'),
    );
    await assert.rejects(
      broker.request('soc-analyst', 'hello there'),
      rejectsWith('NAU_INTENT_UNCLEAR'),
    );
    await assert.rejects(
      broker.request('soc-analyst', 'cves', { session_id: 'no spaces allowed' }),
      rejectsWith('NAU_REQUEST_INVALID'),
    );
    // SQL in a filter value is a bound parameter: it matches nothing and harms nothing.
    const r = await broker.query('soc-analyst', {
      dataTypes: ['vulnerability'],
      filters: [{ field: 'severity', operator: '=', value: "critical' OR '1'='1" }],
    });
    assert.equal(r.data['vuln-scans']?.record_count, 0);
    const again = await broker.query('soc-analyst', { dataTypes: ['vulnerability'] });
    assert.equal(again.data['vuln-scans']?.record_count, 7);
  });

  it('signs an attestation that verifies with node:crypto alone and the JWKS', async () => {
    const r = await broker.request('auditor', 'ledger revenue for the audit');
    const token = r.attestation_token;
    assert.ok(token !== null);
    const [h, p, s] = token.split('.') as [string, string, string];
    const jwk = broker.jwks().keys[0];
    assert.ok(jwk !== undefined);
    const key = createPublicKey({ key: jwk as never, format: 'jwk' });
    assert.equal(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')), true);
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    assert.equal(claims.request_id, r.request_id);
    assert.deepEqual(claims.sources_queried, ['finance-ledger']);
    assert.match(claims.response_hash, /^[0-9a-f]{64}$/);
  });

  it('writes one chained audit line per request, refusals included', async () => {
    const audit = join(dir, '.nautilus', 'audit.jsonl');
    const before = readFileSync(audit, 'utf8').trim().split('\n').length;
    await assert.rejects(broker.request('intruder', 'employees'));
    await broker.request('auditor', 'ledger revenue for the audit');
    const lines = readFileSync(audit, 'utf8').trim().split('\n');
    assert.equal(lines.length, before + 2);
    const refused = JSON.parse(lines.at(-2) as string);
    assert.equal(refused.outcome, 'error');
    assert.equal(refused.error_code, 'NAU_AGENT_UNKNOWN');
    const ok = JSON.parse(lines.at(-1) as string);
    assert.equal(ok.outcome, 'ok');
    assert.ok(typeof ok.attestation_jti === 'string');
    const verified = await verifyAuditFile(audit);
    assert.equal(verified.ok, true, JSON.stringify(verified.problems));
  });
});

describe('Broker with a failing source', () => {
  it('reports the failing source by error class and still answers from the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nautilus-broker-fail-'));
    try {
      cpSync(QUICKSTART, dir, { recursive: true, filter: (p) => !p.includes('.nautilus') });
      // A seed that creates the wrong table: the configured table does not exist.
      writeFileSync(join(dir, 'seed', 'vulns.sql'), 'CREATE TABLE other (id INTEGER);');
      const warnings: string[] = [];
      const broker = await Broker.fromConfig(join(dir, 'nautilus.yaml'), {
        clock: () => NOW,
        auditFsync: false,
        warn: (m) => warnings.push(m),
      });
      try {
        const r = await broker.request('soc-analyst', 'critical CVEs and asset hosts');
        assert.deepEqual(r.sources_queried, []);
        assert.equal(r.sources_failed.length, 1);
        assert.equal(r.sources_failed[0]?.source_id, 'vuln-scans');
        assert.ok(typeof r.sources_failed[0]?.error_class === 'string');
        assert.doesNotMatch(JSON.stringify(r), /no such table/);
        assert.equal(warnings.length, 1);
      } finally {
        await broker.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
