import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzer, throwsCode } from './intent-fixtures.ts';

describe('intent purpose', () => {
  it('takes the first purpose in map order that has a keyword in the text', () => {
    const a = analyzer();
    const i = a.analyze('pii about the breach, for the audit');
    assert.equal(i.purpose, 'audit');
    assert.equal(i.purposeSource, 'text');
    assert.equal(i.purposeKeyword, 'audit');
    const j = analyzer({ purposeMap: { incident_response: ['breach'], audit: ['audit'] } }).analyze(
      'pii for the audit of the breach',
    );
    assert.equal(j.purpose, 'incident_response');
    assert.equal(j.purposeKeyword, 'breach');
  });
  it('matches purpose phrases and stems', () => {
    const i = analyzer().analyze('pii for the compliance reviews');
    assert.equal(i.purpose, 'audit');
    assert.equal(i.purposeKeyword, 'compliance review');
    assert.equal(analyzer().analyze('pii for auditing').purpose, 'audit');
  });
  it('ignores negated purpose keywords', () => {
    const i = analyzer().analyze('pii, not for marketing, for an incident');
    assert.equal(i.purpose, 'incident_response');
    assert.equal(analyzer().analyze('pii, not for marketing').purpose, null);
  });
  it('text wins over the context, the context over the default', () => {
    const a = analyzer({ defaultPurpose: 'operations' });
    assert.deepEqual(pick(a.analyze('pii for the audit', { purpose: 'research' })), [
      'audit',
      'text',
      'audit',
    ]);
    assert.deepEqual(pick(a.analyze('pii please', { purpose: 'research' })), [
      'research',
      'context',
      null,
    ]);
    assert.deepEqual(pick(a.analyze('pii please')), ['operations', 'default', null]);
    assert.deepEqual(pick(a.analyze('pii please', { purpose: null })), [
      'operations',
      'default',
      null,
    ]);
    assert.deepEqual(pick(analyzer().analyze('pii please')), [null, null, null]);
  });
  it('rejects an invalid context purpose even when the text names one', () => {
    const e = throwsCode(
      () => analyzer().analyze('pii for the audit', { purpose: 42 as unknown as string }),
      'NAU_REQUEST_INVALID',
      400,
    );
    assert.match(e.message, /context\.purpose/);
    throwsCode(() => analyzer().analyze('pii', { purpose: ' audit' }), 'NAU_REQUEST_INVALID');
  });
  it('validates the purpose map and the default purpose', () => {
    const e = throwsCode(() => analyzer({ purposeMap: { audit: [''] } }), 'NAU_CONFIG_INVALID');
    assert.match(e.message, /analysis\.purpose_map\.audit\[0\]/);
    throwsCode(
      () => analyzer({ purposeMap: ['audit'] as unknown as Record<string, string[]> }),
      'NAU_CONFIG_INVALID',
    );
    const d = throwsCode(() => analyzer({ defaultPurpose: '' }), 'NAU_CONFIG_INVALID');
    assert.match(d.message, /analysis\.default_purpose/);
  });
});

function pick(i: {
  purpose: string | null;
  purposeSource: string | null;
  purposeKeyword: string | null;
}) {
  return [i.purpose, i.purposeSource, i.purposeKeyword];
}
