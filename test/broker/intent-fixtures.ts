// Shared setup for the intent analysis tests: a small source registry and a fixed clock.
import assert from 'node:assert/strict';
import { IntentAnalyzer, type IntentAnalyzerOptions } from '../../src/broker/intent/index.ts';
import { NautilusError } from '../../src/errors.ts';

export const SOURCES = [
  { id: 'nvd', dataTypes: ['vulnerability', 'asset_inventory'] },
  { id: 'hr', dataTypes: ['pii', 'financial'] },
  { id: 'siem', dataTypes: ['network_log', 'vulnerability'] },
];

/** Tuesday 31 March 2026, 12:00 UTC. */
export const NOW = new Date('2026-03-31T12:00:00Z');

export function analyzer(opts: Partial<IntentAnalyzerOptions> = {}): IntentAnalyzer {
  return new IntentAnalyzer({
    sources: SOURCES,
    keywordMap: { vulnerability: ['cve', 'vuln', 'security finding'] },
    purposeMap: {
      audit: ['audit', 'compliance review'],
      incident_response: ['incident', 'breach'],
      marketing: ['campaign', 'marketing'],
    },
    clock: () => NOW,
    confidenceThreshold: 0,
    ...opts,
  });
}

/** Assert that `fn` throws a NautilusError with `code`; returns it for further checks. */
export function throwsCode(fn: () => unknown, code: string, status?: number): NautilusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof NautilusError, `expected a NautilusError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (status !== undefined) assert.equal(e.status, status);
    return e;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}
