import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntentAnalyzer } from '../../src/broker/intent/index.ts';
import { analyzer, SOURCES, throwsCode } from './intent-fixtures.ts';

describe('intent confidence formula', () => {
  const a = analyzer();
  const c = (text: string, context?: { purpose?: string }) => a.analyze(text, context).confidence;
  it('is 0 without a data type, whatever else was understood', () => {
    assert.equal(c('critical things on 10.0.0.1 from the last 7 days for the audit'), 0);
  });
  it('starts at 0.5 for one data type named by one keyword', () => {
    assert.equal(c('pii'), 0.5);
  });
  it('adds 0.1 for a phrase or two different keywords for one data type', () => {
    assert.equal(c('asset inventory'), 0.6);
    assert.equal(c('vulnerabilities and CVEs'), 0.6);
    assert.equal(c('pii and more pii'), 0.5); // the same keyword twice is no extra evidence
  });
  it('adds 0.2 for a purpose from the text or context, 0.05 from the default', () => {
    assert.equal(c('pii for the audit'), 0.7);
    assert.equal(c('pii', { purpose: 'research' }), 0.7);
    assert.equal(analyzer({ defaultPurpose: 'ops' }).analyze('pii').confidence, 0.55);
  });
  it('adds 0.2 when at least one filter was extracted', () => {
    assert.equal(c('critical vulns'), 0.7);
    assert.equal(c('critical vulns on 10.0.0.1 since 2026-01-01'), 0.7);
  });
  it('reaches 1 for a specific request', () => {
    assert.equal(
      c('critical security findings on 10.0.0.5 from the last 7 days for the quarterly audit'),
      1,
    );
  });
  it('subtracts 0.1 per ambiguous mention and per contradicted data type', () => {
    const shared = analyzer({ keywordMap: { pii: ['employee'], financial: ['employee'] } });
    assert.equal(shared.analyze('employee').confidence, 0.4);
    assert.equal(shared.analyze('employee and employee').confidence, 0.3);
    assert.equal(c('pii, not pii'), 0.4);
  });
  it('subtracts 0.05 per data type beyond the third', () => {
    assert.equal(c('pii, financial, vulns'), 0.5);
    assert.equal(c('pii, financial, vulns, network logs'), 0.55); // phrase +0.1, four types -0.05
  });
  it('is clamped to [0, 1] and exact to two decimals', () => {
    const shared = analyzer({
      keywordMap: { pii: ['staff'], financial: ['staff'], network_log: ['staff'] },
    });
    assert.equal(shared.analyze('staff staff staff staff staff staff').confidence, 0);
  });
});

describe('intent confidence threshold', () => {
  it('defaults to 0.5', () => {
    const a = new IntentAnalyzer({ sources: SOURCES });
    assert.equal(a.confidenceThreshold, 0.5);
    assert.equal(a.analyze('pii').confidence, 0.5);
    throwsCode(() => a.analyze('show me everything'), 'NAU_INTENT_UNCLEAR', 422);
  });
  it('fails below the threshold with what was understood and the structured alternative', () => {
    const a = analyzer({ confidenceThreshold: 0.95 });
    const e = throwsCode(() => a.analyze('critical pii for the audit'), 'NAU_INTENT_UNCLEAR', 422);
    assert.match(e.message, /confidence 0\.90, threshold 0\.95/);
    assert.match(e.message, /data types pii \(from "pii"\)/);
    assert.match(e.message, /purpose audit \(from "audit"\)/);
    assert.match(e.message, /filters severity IN \["critical"\]/);
    assert.match(e.message, /query\(agentId, \{dataTypes, filters, purpose\}\)/);
    assert.equal(e.detail.confidence, 0.9);
    assert.equal(e.detail.threshold, 0.95);
    assert.deepEqual((e.detail.understood as { dataTypes: string[] }).dataTypes, ['pii']);
  });
  it('lists the known data types when none was named', () => {
    const e = throwsCode(
      () => analyzer({ confidenceThreshold: 0.1 }).analyze('stuff without pii'),
      'NAU_INTENT_UNCLEAR',
    );
    assert.match(e.message, /no data type; excluded pii/);
    assert.match(e.message, /known: vulnerability, asset_inventory, pii, financial, network_log/);
  });
  it('passes at exactly the threshold', () => {
    assert.equal(
      analyzer({ confidenceThreshold: 0.7 }).analyze('pii for the audit').confidence,
      0.7,
    );
  });
  it('rejects a threshold outside [0, 1]', () => {
    for (const t of [-0.1, 1.5, Number.NaN, '0.5' as unknown as number]) {
      const e = throwsCode(() => analyzer({ confidenceThreshold: t }), 'NAU_CONFIG_INVALID');
      assert.match(e.message, /analysis\.confidence_threshold/);
    }
  });
});
