import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { structuredIntent } from '../../src/broker/intent/index.ts';
import { analyzer, throwsCode } from './intent-fixtures.ts';

const KNOWN = ['vulnerability', 'asset_inventory', 'pii'];

describe('structured queries', () => {
  it('returns an Intent with confidence 1 and structured: true', () => {
    const i = structuredIntent(
      {
        dataTypes: ['pii', 'vulnerability', 'pii'],
        filters: [
          { field: 'severity', operator: 'in', value: ['critical'] },
          { field: 'asset.owner', operator: 'IS NOT NULL' },
          { field: 'score', operator: 'BETWEEN', value: [7, 10] },
          { field: 'patched', operator: '=', value: false },
        ],
        purpose: 'audit',
      },
      KNOWN,
    );
    assert.deepEqual(i, {
      raw: '',
      dataTypes: ['pii', 'vulnerability'],
      purpose: 'audit',
      purposeSource: 'query',
      purposeKeyword: null,
      filters: [
        { field: 'severity', operator: 'IN', value: ['critical'] },
        { field: 'asset.owner', operator: 'IS NOT NULL', value: null },
        { field: 'score', operator: 'BETWEEN', value: [7, 10] },
        { field: 'patched', operator: '=', value: false },
      ],
      entities: [],
      confidence: 1,
      structured: true,
      matches: [],
    });
  });
  it('names an unknown data type, with a suggestion and the known list', () => {
    const e = throwsCode(
      () => structuredIntent({ dataTypes: ['pii', 'vulnerabilty'] }, KNOWN),
      'NAU_REQUEST_INVALID',
      400,
    );
    assert.match(
      e.message,
      /dataTypes\[1\]: "vulnerabilty" is not a known data type \(did you mean vulnerability\?\)/,
    );
    assert.match(e.message, /known: vulnerability, asset_inventory, pii/);
    assert.equal(e.detail.field, 'dataTypes[1]');
    throwsCode(() => structuredIntent({ dataTypes: [3] }, KNOWN), 'NAU_REQUEST_INVALID');
  });
  it('requires at least one data type', () => {
    throwsCode(() => structuredIntent({ dataTypes: [] }, KNOWN), 'NAU_REQUEST_INVALID');
    throwsCode(() => structuredIntent({ filters: [] }, KNOWN), 'NAU_REQUEST_INVALID');
    throwsCode(() => structuredIntent(null, KNOWN), 'NAU_REQUEST_INVALID');
    throwsCode(() => structuredIntent(['pii'], KNOWN), 'NAU_REQUEST_INVALID');
  });
  it('rejects unknown keys with a suggestion', () => {
    const e = throwsCode(
      () => structuredIntent({ dataTypes: ['pii'], filter: [] }, KNOWN),
      'NAU_REQUEST_INVALID',
    );
    assert.match(e.message, /unknown key "filter".*did you mean filters\?/);
  });
  it('validates the shape of every filter', () => {
    const bad = (filter: unknown, message: RegExp) => {
      const e = throwsCode(
        () => structuredIntent({ dataTypes: ['pii'], filters: [filter] }, KNOWN),
        'NAU_REQUEST_INVALID',
      );
      assert.match(e.message, message);
    };
    bad('severity', /filters\[0\] must be an object/);
    bad({ field: 'a b', operator: '=', value: 1 }, /filters\[0\]\.field must be an identifier/);
    bad({ field: '1a', operator: '=', value: 1 }, /filters\[0\]\.field/);
    bad({ field: 'a', operator: '==', value: 1 }, /filters\[0\]\.operator "==" is not one of/);
    bad({ field: 'a', operator: 'LIKES', value: 'x' }, /did you mean LIKE\?/);
    bad({ field: 'a', operator: 'IN', value: 'x' }, /filters\[0\]\.value must be a list for IN/);
    bad({ field: 'a', operator: 'IN', value: [] }, /1 to 1000 values/);
    bad({ field: 'a', operator: 'BETWEEN', value: [1] }, /two values/);
    bad(
      { field: 'a', operator: '=', value: [1] },
      /filters\[0\]\.value must be a string, a finite number or a boolean/,
    );
    bad({ field: 'a', operator: '=', value: Number.NaN }, /finite number/);
    bad({ field: 'a', operator: '=', value: { $gt: 1 } }, /finite number/);
    bad({ field: 'a', operator: 'IN', value: ['x', null] }, /filters\[0\]\.value\[1\]/);
    bad({ field: 'a', operator: 'IS NULL', value: 3 }, /absent or null for IS NULL/);
    bad({ field: 'a', operator: '=', value: 1, extra: 1 }, /unknown key "extra"/);
    bad({ field: 'a', operator: '=', value: 'x'.repeat(4097) }, /longer than 4096/);
  });
  it('caps the number of filters', () => {
    const filters = Array.from({ length: 65 }, () => ({ field: 'a', operator: '=', value: 1 }));
    throwsCode(
      () => structuredIntent({ dataTypes: ['pii'], filters }, KNOWN),
      'NAU_REQUEST_INVALID',
    );
  });
  it('validates the purpose', () => {
    throwsCode(
      () => structuredIntent({ dataTypes: ['pii'], purpose: 7 }, KNOWN),
      'NAU_REQUEST_INVALID',
    );
    throwsCode(
      () => structuredIntent({ dataTypes: ['pii'], purpose: '' }, KNOWN),
      'NAU_REQUEST_INVALID',
    );
    assert.equal(structuredIntent({ dataTypes: ['pii'], purpose: null }, KNOWN).purpose, null);
  });
  it('through the analyzer: known data types from the sources, purpose falls back', () => {
    const a = analyzer({ defaultPurpose: 'ops' });
    assert.equal(a.structured({ dataTypes: ['network_log'] }).purpose, 'ops');
    assert.equal(a.structured({ dataTypes: ['network_log'] }).purposeSource, 'default');
    const i = a.structured({ dataTypes: ['network_log'] }, { purpose: 'audit' });
    assert.deepEqual([i.purpose, i.purposeSource], ['audit', 'context']);
    const j = a.structured(
      { dataTypes: ['network_log'], purpose: 'research' },
      { purpose: 'audit' },
    );
    assert.deepEqual([j.purpose, j.purposeSource], ['research', 'query']);
    throwsCode(() => a.structured({ dataTypes: ['nope'] }), 'NAU_REQUEST_INVALID');
  });
});
