// Shared helpers of the config tests.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigProblem } from '../../src/config/index.ts';
import { NautilusError } from '../../src/errors.ts';

export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const fixture = (name: string) => join(fixtures, name);

/** Runs `fn`, asserts it throws a NautilusError with `code`, and returns it. */
export function expectError(fn: () => unknown, code: string): NautilusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof NautilusError, `expected a NautilusError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

export function problemsOf(e: NautilusError): ConfigProblem[] {
  return e.detail.problems as ConfigProblem[];
}

/** The problem at `path`, asserting there is exactly one. */
export function problemAt(e: NautilusError, path: string): ConfigProblem {
  const found = problemsOf(e).filter((p) => p.path === path);
  assert.equal(found.length, 1, `one problem at ${path} expected in:\n${e.message}`);
  return found[0]!;
}

export function tempConfig(text: string, name = 'nautilus.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'nautilus-config-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A valid source entry, for tests that only care about other keys. */
export const SQLITE_SOURCE =
  '  - {id: vulns, type: sqlite, classification: secret, data_types: [vulnerability], connection: v.db, table: vulns}\n';
