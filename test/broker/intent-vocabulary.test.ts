import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntentAnalyzer, stem } from '../../src/broker/intent/index.ts';
import { analyzer, SOURCES, throwsCode } from './intent-fixtures.ts';

describe('intent vocabulary: word boundaries', () => {
  const a = analyzer();
  it('matches whole words only, never substrings', () => {
    assert.deepEqual(a.analyze('show the piirate ship and the cvent agenda').dataTypes, []);
    assert.deepEqual(a.analyze('show the pii of the crew').dataTypes, ['pii']);
    assert.deepEqual(a.analyze('CVEs please').dataTypes, ['vulnerability']);
    assert.deepEqual(a.analyze('unfinancial').dataTypes, []);
  });
  it('is case-insensitive and treats punctuation, _ and - as separators', () => {
    assert.deepEqual(a.analyze('PII!').dataTypes, ['pii']);
    assert.deepEqual(a.analyze('(Financial)').dataTypes, ['financial']);
    assert.deepEqual(a.analyze('the asset_inventory table').dataTypes, ['asset_inventory']);
    assert.deepEqual(a.analyze('network-log entries').dataTypes, ['network_log']);
  });
  it('removes zero-width and other format characters before matching', () => {
    assert.deepEqual(a.analyze('p\u200Bi\u00ADi records').dataTypes, ['pii']);
  });
  it('normalizes full-width letters (NFKC)', () => {
    assert.deepEqual(a.analyze('ＰＩＩ records').dataTypes, ['pii']);
  });
  it('orders data types by first occurrence in the text', () => {
    assert.deepEqual(a.analyze('financial and vulnerability and pii').dataTypes, [
      'financial',
      'vulnerability',
      'pii',
    ]);
    assert.deepEqual(a.analyze('pii then financial then pii').dataTypes, ['pii', 'financial']);
  });
});

describe('intent vocabulary: stemming', () => {
  it('maps plural and verb forms to one key', () => {
    const same = [
      ['vulnerability', 'vulnerabilities'],
      ['record', 'records'],
      ['address', 'addresses'],
      ['patch', 'patches'],
      ['scan', 'scans', 'scanning', 'scanned'],
      ['share', 'shared', 'sharing', 'shares'],
      ['classify', 'classified', 'classifies', 'classifying'],
      ['finding', 'findings', 'find'],
      ['policy', 'policies'],
      ['bill', 'billing'],
      ['access', 'accessed', 'accessing', 'accesses'],
      ['cve', 'cves'],
      ['ip', 'ips'],
    ];
    for (const group of same) {
      const stems = new Set(group.map(stem));
      assert.equal(stems.size, 1, `${group.join(', ')} -> ${[...stems].join(', ')}`);
    }
  });
  it('leaves words that only look like suffixes alone', () => {
    assert.equal(stem('status'), 'status');
    assert.equal(stem('analysis'), 'analysis');
    assert.equal(stem('access'), 'access');
    assert.equal(stem('thing'), 'thing');
    assert.equal(stem('string'), 'string');
    assert.equal(stem('is'), 'is');
    assert.equal(stem('cve'), 'cve');
    assert.equal(stem('2024s'), '2024s');
    assert.equal(stem('données'), 'données');
  });
  it('does not conflate distinct words', () => {
    assert.notEqual(stem('piirate'), stem('pii'));
    assert.notEqual(stem('cvent'), stem('cve'));
    assert.notEqual(stem('financial'), stem('finance'));
  });
  it('applies to the text and the keywords alike', () => {
    const a = analyzer();
    assert.deepEqual(a.analyze('all vulnerabilities').dataTypes, ['vulnerability']);
    assert.deepEqual(a.analyze('vulns and security findings').dataTypes, ['vulnerability']);
    assert.deepEqual(a.analyze('asset inventories').dataTypes, ['asset_inventory']);
  });
});

describe('intent vocabulary: generated words and phrases', () => {
  it('generates the full name and its words from multi-word data types', () => {
    const a = analyzer();
    const i = a.analyze('list every asset');
    assert.deepEqual(i.dataTypes, ['asset_inventory']);
    assert.deepEqual(i.matches, [
      { dataType: 'asset_inventory', keyword: 'asset', negated: false },
    ]);
    const j = a.analyze('the asset inventory');
    assert.deepEqual(j.matches, [
      { dataType: 'asset_inventory', keyword: 'asset inventory', negated: false },
    ]);
  });
  it('does not generate generic words on their own', () => {
    const a = new IntentAnalyzer({
      sources: [{ id: 's', dataTypes: ['customer_data'] }],
      confidenceThreshold: 0,
    });
    assert.deepEqual(a.analyze('all data').dataTypes, []);
    assert.deepEqual(a.analyze('customer lists').dataTypes, ['customer_data']);
    assert.deepEqual(a.analyze('customer data').matches, [
      { dataType: 'customer_data', keyword: 'customer data', negated: false },
    ]);
  });
  it('matches phrases as token sequences, longest first, without overlap', () => {
    const a = analyzer({
      keywordMap: { financial: ['credit card number'], pii: ['card'] },
    });
    const i = a.analyze('every credit card number on file');
    assert.deepEqual(i.dataTypes, ['financial']);
    assert.deepEqual(a.analyze('the credit-card numbers').dataTypes, ['financial']);
    assert.deepEqual(a.analyze('credit and card number').dataTypes, ['pii']);
    assert.deepEqual(a.analyze('card number credit').dataTypes, ['pii']);
  });
  it('a keyword shared by two data types names both', () => {
    const a = analyzer({ keywordMap: { pii: ['employee'], financial: ['employee', 'salary'] } });
    assert.deepEqual(a.analyze('employee records').dataTypes, ['pii', 'financial']);
  });
});

describe('intent vocabulary: keyword_map overlay', () => {
  it('replaces the generated single words but keeps the full name', () => {
    const a = analyzer({ keywordMap: { asset_inventory: ['hosts', 'cmdb'] } });
    assert.deepEqual(a.analyze('every asset').dataTypes, []);
    assert.deepEqual(a.analyze('the CMDB hosts').dataTypes, ['asset_inventory']);
    assert.deepEqual(a.analyze('the asset inventory').dataTypes, ['asset_inventory']);
  });
  it('rejects keys that are not a data type of any source, with a suggestion', () => {
    const e = throwsCode(
      () => analyzer({ keywordMap: { vulnerabilty: ['x'] } }),
      'NAU_CONFIG_INVALID',
    );
    assert.match(e.message, /analysis\.keyword_map\.vulnerabilty/);
    assert.match(e.message, /did you mean vulnerability\?/);
    assert.deepEqual(e.detail.path, ['analysis', 'keyword_map', 'vulnerabilty']);
  });
  it('rejects keywords without a word, and non-list entries', () => {
    const e = throwsCode(
      () => analyzer({ keywordMap: { pii: ['ssn', '--'] } }),
      'NAU_CONFIG_INVALID',
    );
    assert.match(e.message, /analysis\.keyword_map\.pii\[1\]/);
    throwsCode(
      () => analyzer({ keywordMap: { pii: 'ssn' as unknown as string[] } }),
      'NAU_CONFIG_INVALID',
    );
  });
  it('rejects data types without a word', () => {
    const e = throwsCode(
      () => new IntentAnalyzer({ sources: [...SOURCES, { id: 'x', dataTypes: ['__'] }] }),
      'NAU_CONFIG_INVALID',
    );
    assert.match(e.message, /sources\[3\]\.data_types\[0\]/);
  });
});

describe('intent vocabulary: negation', () => {
  const a = analyzer();
  it('drops data types the request refuses', () => {
    assert.deepEqual(a.analyze('vulnerabilities without PII').dataTypes, ['vulnerability']);
    assert.deepEqual(a.analyze('vulnerabilities, do not include any pii').dataTypes, [
      'vulnerability',
    ]);
    assert.deepEqual(a.analyze("vulns but don't show me financial data").dataTypes, [
      'vulnerability',
    ]);
    assert.deepEqual(a.analyze('vulns on hosts with non-PII owners').dataTypes, ['vulnerability']);
    const i = a.analyze('vulns excluding pii');
    assert.deepEqual(i.matches.at(-1), { dataType: 'pii', keyword: 'pii', negated: true });
  });
  it('carries negation along a list, not across a sentence or another word', () => {
    assert.deepEqual(a.analyze('vulns, no pii, financial or network logs').dataTypes, [
      'vulnerability',
    ]);
    assert.deepEqual(a.analyze('no pii. financial records please').dataTypes, ['financial']);
    assert.deepEqual(a.analyze('no pii but financial records').dataTypes, ['financial']);
  });
  it('a data type both requested and refused stays requested', () => {
    assert.deepEqual(a.analyze('pii records, not pii').dataTypes, ['pii']);
  });
});
