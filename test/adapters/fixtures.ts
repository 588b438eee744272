// Shared bits of the adapter tests: a request intent, an adapter context, and assertions on
// AdapterFailure (class, code, and that no raw driver text leaked into what callers see).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import {
  type AdapterContext,
  AdapterFailure,
  type AdapterFailureClass,
  type AdapterIntent,
} from '../../src/adapters/index.ts';

export const intent: AdapterIntent = {
  requestId: 'req-1',
  dataTypes: ['vulnerability'],
  purpose: null,
};

export function ctx(over: Partial<AdapterContext> = {}): AdapterContext {
  return {
    agentId: 'agent-1',
    sessionId: null,
    signal: new AbortController().signal,
    now: () => new Date(),
    ...over,
  };
}

/** A temp directory removed after the file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `nautilus-${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Awaits a rejection and checks it is an AdapterFailure of the class (and code). */
export async function rejectsWith(
  p: Promise<unknown>,
  cls: AdapterFailureClass,
  code?: string,
): Promise<AdapterFailure> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AdapterFailure, `expected AdapterFailure, got ${String(e)}`);
    assert.equal(e.failureClass, cls, `class (message: ${e.message})`);
    if (code !== undefined) assert.equal(e.code, code, `code (message: ${e.message})`);
    return e;
  }
  assert.fail(`expected a ${cls} failure, but the call succeeded`);
}

/** Nothing a caller can read (message, enumerable fields, JSON) contains any of `secrets`. */
export function assertNoLeak(e: AdapterFailure, secrets: readonly string[]): void {
  const visible = `${e.message}\n${JSON.stringify(e)}\n${JSON.stringify(Object.keys(e))}`;
  for (const s of secrets)
    assert.ok(!visible.includes(s), `failure text leaks ${JSON.stringify(s)}: ${visible}`);
  assert.equal(Object.getOwnPropertyDescriptor(e, 'cause')?.enumerable ?? false, false);
}
