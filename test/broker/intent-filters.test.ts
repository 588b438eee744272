import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IntentFilter } from '../../src/broker/intent/index.ts';
import { analyzer, throwsCode } from './intent-fixtures.ts';

const filters = (text: string, clock?: Date): readonly IntentFilter[] =>
  analyzer(clock === undefined ? {} : { clock: () => clock }).analyze(text).filters;
const field = (text: string, name: string, clock?: Date) =>
  filters(text, clock).filter((f) => f.field === name);

describe('intent filters: CVE ids', () => {
  it('extracts, upper-cases and de-duplicates CVE ids in order', () => {
    const i = analyzer().analyze('vulns cve-2024-3094, CVE-2021-44228 and Cve-2024-3094');
    assert.deepEqual(i.filters, [
      { field: 'cve_id', operator: 'IN', value: ['CVE-2024-3094', 'CVE-2021-44228'] },
    ]);
    assert.deepEqual(i.entities, ['CVE-2024-3094', 'CVE-2021-44228']);
  });
  it('needs four or more sequence digits and whole words', () => {
    assert.deepEqual(
      field('vulns CVE-2024-123 and xCVE-2024-1234 and CVE-2024-12345y', 'cve_id'),
      [],
    );
    assert.deepEqual(field('vulns (CVE-2024-1234567)', 'cve_id'), [
      { field: 'cve_id', operator: 'IN', value: ['CVE-2024-1234567'] },
    ]);
  });
});

describe('intent filters: IPv4', () => {
  it('extracts valid addresses, including at the end of a sentence', () => {
    assert.deepEqual(field('logs for 10.0.0.5 and 192.168.1.254.', 'ip'), [
      { field: 'ip', operator: 'IN', value: ['10.0.0.5', '192.168.1.254'] },
    ]);
    assert.deepEqual(field('logs for 0.0.0.0 and 255.255.255.255', 'ip')[0]?.value, [
      '0.0.0.0',
      '255.255.255.255',
    ]);
  });
  it('ignores dotted numbers that are not addresses', () => {
    assert.deepEqual(field('logs for v1.2.3.4 and 1.2.3.4.5 and 1.2.3 and 10.0.0.5x', 'ip'), []);
  });
  it('rejects out-of-range octets and leading zeros instead of dropping them', () => {
    const e = throwsCode(() => filters('logs for 10.0.0.256'), 'NAU_REQUEST_INVALID', 400);
    assert.match(e.message, /10\.0\.0\.256.*octet 4 \(256\) is not in 0-255/);
    const z = throwsCode(() => filters('logs for 10.0.010.1'), 'NAU_REQUEST_INVALID');
    assert.match(z.message, /octet 3 \(010\) has a leading zero/);
    throwsCode(() => filters('logs for 1.2.3.99999999999999999999'), 'NAU_REQUEST_INVALID');
  });
  it('rejects CIDR ranges and points to structured queries', () => {
    const e = throwsCode(() => filters('logs for 10.0.0.0/24'), 'NAU_REQUEST_INVALID');
    assert.match(e.message, /CIDR.*structured query/);
  });
});

describe('intent filters: dates (clock fixed at 2026-03-31T12:00Z)', () => {
  const date = (text: string, clock?: Date) => field(`vulns ${text}`, 'date', clock);
  const ge = (value: string) => [{ field: 'date', operator: '>=', value }];
  it('counts back days and weeks', () => {
    assert.deepEqual(date('from the last 7 days'), ge('2026-03-24'));
    assert.deepEqual(date('in the past 2 weeks'), ge('2026-03-17'));
    assert.deepEqual(date('over the previous day'), ge('2026-03-30'));
    assert.deepEqual(date('for the last 31 days'), ge('2026-02-28'));
    assert.deepEqual(date('in the Last Seven Days'), ge('2026-03-24'));
  });
  it('clamps month and year steps to the end of the target month', () => {
    assert.deepEqual(date('from last month'), ge('2026-02-28'));
    assert.deepEqual(date('from the past 1 month'), ge('2026-02-28'));
    assert.deepEqual(date('from the last 13 months'), ge('2025-02-28'));
    assert.deepEqual(
      date('from the last 2 months', new Date('2024-04-30T00:00:00Z')),
      ge('2024-02-29'),
    );
    assert.deepEqual(date('from last year', new Date('2024-02-29T23:59:59Z')), ge('2023-02-28'));
    assert.deepEqual(
      date('from the last 4 years', new Date('2024-02-29T00:00:00Z')),
      ge('2020-02-29'),
    );
    assert.deepEqual(date('from last month', new Date('2026-01-15T00:00:00Z')), ge('2025-12-15'));
  });
  it('crosses month and year boundaries by days', () => {
    assert.deepEqual(
      date('from the last 3 days', new Date('2026-03-01T00:00:00Z')),
      ge('2026-02-26'),
    );
    assert.deepEqual(
      date('from the last 3 days', new Date('2024-03-01T00:00:00Z')),
      ge('2024-02-27'),
    );
    assert.deepEqual(date('from yesterday', new Date('2026-01-01T00:30:00Z')), ge('2025-12-31'));
  });
  it('uses the UTC day of the clock', () => {
    assert.deepEqual(date('today', new Date('2026-03-31T23:59:59.999Z')), ge('2026-03-31'));
    assert.deepEqual(date('today', new Date('2026-04-01T00:00:00-02:00')), ge('2026-04-01'));
  });
  it('counts hours from the instant, keeping the day', () => {
    assert.deepEqual(date('from the last 24 hours'), ge('2026-03-30'));
    assert.deepEqual(date('from the last 12 hours'), ge('2026-03-31'));
    assert.deepEqual(date('from the last 13 hours'), ge('2026-03-30'));
  });
  it('understands yesterday, today and this week/month/year', () => {
    assert.deepEqual(date('since yesterday'), ge('2026-03-30'));
    assert.deepEqual(date("today's"), ge('2026-03-31'));
    assert.deepEqual(date('this week'), ge('2026-03-30')); // Monday
    assert.deepEqual(date('this week', new Date('2026-03-29T10:00:00Z')), ge('2026-03-23')); // Sunday
    assert.deepEqual(date('this month'), ge('2026-03-01'));
    assert.deepEqual(date('this year'), ge('2026-01-01'));
  });
  it('reads since and before with ISO dates', () => {
    assert.deepEqual(date('since 2026-01-01'), ge('2026-01-01'));
    assert.deepEqual(date('since 2024-02-29'), ge('2024-02-29'));
    assert.deepEqual(date('before 2025-12-31'), [
      { field: 'date', operator: '<', value: '2025-12-31' },
    ]);
    assert.deepEqual(date('since 2026-01-01T10:00:00Z'), ge('2026-01-01'));
  });
  it('keeps several expressions, de-duplicated', () => {
    assert.deepEqual(
      date('since 2026-03-24, i.e. the last 7 days, since 2026-03-24'),
      ge('2026-03-24'),
    );
    assert.deepEqual(date('since 2026-01-01 and before 2026-02-01'), [
      { field: 'date', operator: '>=', value: '2026-01-01' },
      { field: 'date', operator: '<', value: '2026-02-01' },
    ]);
  });
  it('rejects ranges that cannot be meant literally', () => {
    throwsCode(() => date('since 2026-02-29'), 'NAU_REQUEST_INVALID');
    throwsCode(() => date('since 2026-13-01'), 'NAU_REQUEST_INVALID');
    throwsCode(() => date('before 0000-01-01'), 'NAU_REQUEST_INVALID');
    throwsCode(() => date('from the last 0 days'), 'NAU_REQUEST_INVALID');
    throwsCode(() => date('from the last 100001 days'), 'NAU_REQUEST_INVALID');
    throwsCode(() => date('from the last 99999999999999999999 days'), 'NAU_REQUEST_INVALID');
    const e = throwsCode(() => date('from the last 5000 years'), 'NAU_REQUEST_INVALID');
    assert.match(e.message, /before year 0001/);
  });
  it('needs a unit: "last" alone is not a date', () => {
    assert.deepEqual(date('from the last scan'), []);
    assert.deepEqual(date('the lastday'), []);
  });
});

describe('intent filters: severity', () => {
  it('collects severity words in order, exact words only', () => {
    assert.deepEqual(field('critical and HIGH vulns, then critical', 'severity'), [
      { field: 'severity', operator: 'IN', value: ['critical', 'high'] },
    ]);
    assert.deepEqual(field('vulns of medium or low severity', 'severity')[0]?.value, [
      'medium',
      'low',
    ]);
    assert.deepEqual(field('the highest and lowest vulns', 'severity'), []);
  });
});

describe('intent filters: order of kinds', () => {
  it('lists cve_id, ip, date, severity, then custom patterns', () => {
    const a = analyzer({ patterns: [{ name: 'ticket', regex: 'INC-\\d{1,8}', field: 'ticket' }] });
    const f = a.analyze('critical vulns INC-42 since 2026-01-01 on 10.1.1.1 CVE-2024-3094').filters;
    assert.deepEqual(
      f.map((x) => x.field),
      ['cve_id', 'ip', 'date', 'severity', 'ticket'],
    );
  });
});
