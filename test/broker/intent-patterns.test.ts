import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BACKTRACK_BUDGET,
  type CustomPattern,
  regexHazard,
} from '../../src/broker/intent/index.ts';
import { analyzer, throwsCode } from './intent-fixtures.ts';

const withPatterns = (patterns: CustomPattern[]) => analyzer({ patterns });

describe('intent custom patterns: extraction', () => {
  it('uses the whole match without a capture group, IN by default', () => {
    const i = withPatterns([
      { name: 'ticket', regex: '\\bINC-\\d{1,8}\\b', field: 'ticket_id' },
    ]).analyze('pii for inc-42 and INC-7, and INC-42 again');
    assert.deepEqual(i.filters, [
      { field: 'ticket_id', operator: 'IN', value: ['inc-42', 'INC-7', 'INC-42'] },
    ]);
    assert.deepEqual(i.entities, ['inc-42', 'INC-7', 'INC-42']);
  });
  it('uses capture group 1, or the group named value', () => {
    const a = withPatterns([
      { name: 'host', regex: 'host (\\w{1,63})', field: 'hostname' },
      {
        name: 'acct',
        regex: '(acct|account) #?(?<value>\\d{1,12})',
        field: 'account',
        operator: '=',
      },
    ]);
    const i = a.analyze('financial for host web01, account #991 and acct 17');
    assert.deepEqual(i.filters, [
      { field: 'hostname', operator: 'IN', value: ['web01'] },
      { field: 'account', operator: '=', value: '991' },
      { field: 'account', operator: '=', value: '17' },
    ]);
  });
  it('honours case sensitivity and normalizes operator spelling', () => {
    const a = withPatterns([
      {
        name: 'proj',
        regex: 'PRJ\\d{1,4}',
        field: 'project',
        operator: 'not  in' as 'NOT IN',
        caseSensitive: true,
      },
    ]);
    assert.deepEqual(a.analyze('pii except PRJ12 and prj13').filters, [
      { field: 'project', operator: 'NOT IN', value: ['PRJ12'] },
    ]);
  });
});

describe('intent custom patterns: configuration errors', () => {
  const bad = (p: Partial<CustomPattern>, path: RegExp, message?: RegExp) => {
    const e = throwsCode(
      () =>
        withPatterns([
          { name: 'ok', regex: 'x{1,3}', field: 'f' },
          { name: 'p', regex: 'a', field: 'f', ...p },
        ]),
      'NAU_CONFIG_INVALID',
    );
    assert.match(e.message, path);
    if (message !== undefined) assert.match(e.message, message);
    return e;
  };
  it('names the pattern when the regex does not compile', () => {
    const e = bad(
      { regex: '(unclosed' },
      /analysis\.patterns\[1\]\.regex/,
      /pattern "p": invalid regular expression/,
    );
    assert.deepEqual(e.detail.path, ['analysis', 'patterns', 1, 'regex']);
    bad({ regex: 'a{' }, /patterns\[1\]\.regex/); // a stray brace is an error under the u flag
  });
  it('rejects a catastrophic regex (nested quantifiers)', () => {
    bad({ regex: '(a+)+$' }, /patterns\[1\]\.regex/, /nested quantifiers/);
    bad({ regex: '(\\w+\\s?)*x' }, /regex/, /nested quantifiers/);
    bad({ regex: '(?:a|aa)+b' }, /regex/, /nested quantifiers/);
    bad({ regex: '((ab)+c){2,}' }, /regex/, /nested quantifiers/);
  });
  it('rejects backreferences and too large backtracking bounds', () => {
    bad({ regex: '(a)\\1' }, /regex/, /backreferences/);
    bad({ regex: '(?<q>a)\\k<q>' }, /regex/, /backreferences/);
    bad({ regex: '.*a.*b' }, /regex/, /backtracking bound/);
    bad({ regex: '\\w+@\\w+' }, /regex/, /bound the repetitions/);
  });
  it('rejects regexes that match the empty string', () => {
    bad({ regex: 'x*' }, /regex/, /empty string/);
    bad({ regex: '(?:)' }, /regex/, /empty string/);
  });
  it('validates name, field and operator', () => {
    bad({ name: '' }, /patterns\[1\]\.name/);
    bad({ name: 'ok' }, /patterns\[1\]\.name/, /duplicate/);
    bad({ field: 'bad field' }, /patterns\[1\]\.field/);
    bad({ operator: 'IN LIST' as 'IN' }, /patterns\[1\]\.operator/);
    bad({ operator: 'LIKES' as 'LIKE' }, /operator/, /did you mean LIKE\?/);
    bad({ operator: 'BETWEEN' }, /operator/, /cannot take a matched value/);
    bad({ operator: 'IS NULL' }, /operator/);
    bad({ caseSensitive: 'yes' as unknown as boolean }, /patterns\[1\]\.case_sensitive/);
  });
});

describe('intent custom patterns: regex screening', () => {
  it('accepts common, bounded extraction patterns', () => {
    for (const ok of [
      'INC-\\d+',
      '[A-Z]{2,5}-\\d+',
      '\\b(?:jira|ticket)[- ]?(\\d{1,8})\\b',
      '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}',
      '(?:-\\d{1,3})?x',
      '(?:ab)+',
      '[\\w.+-]{1,64}@[\\w.-]{1,255}',
      '\\p{Lu}{2}\\d{6}',
      '[(*+?{]x',
      '\\u{1F600}+',
      '(?<=id=)\\d{1,10}',
    ]) {
      assert.equal(regexHazard(ok), null, ok);
    }
  });
  it('bounds cost: product of repetition widths times the input length', () => {
    assert.equal(regexHazard('[A-Z]{2,5}-\\d+'), null); // 4 * 4096 * 4096 = 2^26, the budget
    assert.match(regexHazard('[A-Z]{1,5}-\\d+') ?? '', /backtracking bound/);
    assert.match(regexHazard('\\w{1,64}@\\w{1,64}\\.\\w{2,63}') ?? '', /backtracking bound/);
    assert.equal(BACKTRACK_BUDGET, 2 ** 26);
  });
  it('accepted patterns still match at the end of long hostile input', () => {
    const a = withPatterns([
      { name: 'ticket', regex: '[A-Z]{2,5}-\\d+', field: 'ticket', caseSensitive: true },
    ]);
    const text = `pii ${'AB-'.repeat(1300)}XY-12`;
    assert.deepEqual(a.analyze(text).filters, [
      { field: 'ticket', operator: 'IN', value: ['XY-12'] },
    ]);
  });
});
