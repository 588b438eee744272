import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_INTENT_LENGTH } from '../../src/broker/intent/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { analyzer, throwsCode } from './intent-fixtures.ts';

describe('intent input validation', () => {
  const a = analyzer();
  it('rejects non-strings, empty and blank text', () => {
    for (const bad of [
      undefined,
      null,
      42,
      ['pii'],
      { intent: 'pii' },
      '',
      '   \n\t',
      '\u200B\u200B',
    ]) {
      const e = throwsCode(() => a.analyze(bad), 'NAU_REQUEST_INVALID', 400);
      assert.equal(e.detail.field, 'intent');
    }
  });
  it('accepts exactly the maximum length and rejects one more', () => {
    const max = `pii ${'x'.repeat(MAX_INTENT_LENGTH - 4)}`;
    assert.deepEqual(a.analyze(max).dataTypes, ['pii']);
    const e = throwsCode(() => a.analyze(`${max}x`), 'NAU_REQUEST_INVALID', 400);
    assert.match(e.message, /4097 characters long; at most 4096/);
    throwsCode(() => a.analyze('pii '.repeat(1_000_000)), 'NAU_REQUEST_INVALID');
  });
  it('rejects text that expands past the limit under NFKC', () => {
    const e = throwsCode(() => a.analyze(`pii ${'\uFDFA'.repeat(300)}`), 'NAU_REQUEST_INVALID');
    assert.match(e.message, /after Unicode normalization/);
  });
  it('survives hostile text', () => {
    const hostile = [
      'pii \uD800 lone surrogate \uDFFF',
      'pii \u0000\u0001 control characters',
      `pii ${'1.'.repeat(2000)}`,
      `pii ${'9'.repeat(4000)}`,
      `pii ${'CVE-2024-'.repeat(400)}`,
      `pii ${'last '.repeat(800)}`,
      'pii \u202Eevil\u202C bidi',
      'pii <script>alert(1)</script> "quotes" \\ backslash',
    ];
    for (const text of hostile)
      assert.equal(a.analyze(text).dataTypes[0], 'pii', text.slice(0, 30));
  });
  it('keeps the raw text as given', () => {
    assert.equal(a.analyze('  ＰＩＩ\u200B please ').raw, '  ＰＩＩ\u200B please ');
  });
});

describe('intent analysis properties', () => {
  const withPatterns = analyzer({
    confidenceThreshold: 0.5,
    patterns: [{ name: 'ticket', regex: 'INC-(\\d{1,8})', field: 'ticket' }],
  });
  const words = fc.constantFrom(
    'pii',
    'financial',
    'CVEs',
    'asset',
    'inventory',
    'not',
    'no',
    'or',
    'for',
    'audit',
    'last',
    '7',
    'days',
    'month',
    'since',
    '2026-01-31',
    '2026-02-30',
    'critical',
    'high',
    '10.0.0.5',
    '10.0.0.256',
    '01.2.3.4',
    '/24',
    'CVE-2024-3094',
    'INC-12',
    ',',
    '.',
    'without',
    'the',
    'yesterday',
    'this',
    'week',
  );
  const texts = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.array(words, { maxLength: 40 }).map((w) => w.join(' ')),
    fc
      .array(fc.oneof(words, fc.string({ maxLength: 5 })), { maxLength: 40 })
      .map((w) => w.join('')),
  );

  it('never throws anything but a NautilusError, and is deterministic', () => {
    fc.assert(
      fc.property(
        texts,
        fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
        (text, purpose) => {
          const run = () => {
            try {
              return { ok: withPatterns.analyze(text, purpose === undefined ? {} : { purpose }) };
            } catch (e) {
              if (!(e instanceof NautilusError)) throw e;
              return { code: e.code, status: e.status, message: e.message };
            }
          };
          const first = run();
          assert.deepEqual(run(), first);
          if ('ok' in first && first.ok !== undefined) {
            const i = first.ok;
            assert.ok(i.confidence >= 0.5 && i.confidence <= 1);
            assert.equal(Math.round(i.confidence * 100) / 100, i.confidence);
            assert.equal(new Set(i.dataTypes).size, i.dataTypes.length);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('a separate analyzer with the same options gives the same result', () => {
    const other = analyzer({
      confidenceThreshold: 0.5,
      patterns: [{ name: 'ticket', regex: 'INC-(\\d{1,8})', field: 'ticket' }],
    });
    fc.assert(
      fc.property(
        fc.array(words, { minLength: 1, maxLength: 30 }).map((w) => w.join(' ')),
        (text) => {
          const outcome = (an: typeof other) => {
            try {
              return an.analyze(text);
            } catch (e) {
              return (e as NautilusError).code;
            }
          };
          assert.deepEqual(outcome(other), outcome(withPatterns));
        },
      ),
      { numRuns: 500 },
    );
  });
});
