// The restart check shared by the SQLite and PostgreSQL session tests: what a session has seen
// (every exposure, flag and summary, and the full list of its facts) is identical after the
// broker is closed and reopened on the same store.
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import type { SessionOp } from '../../src/session/ops.ts';
import { createSessionStore } from '../../src/session/store/index.ts';
import { decodeState } from '../../src/session/stored-state.ts';
import { ask, type SessionWorld } from './session-fixture.ts';

/** The facts of the session's stored row, read through the store API (the broker closed). */
export async function storedFacts(
  w: SessionWorld,
  sessionId: string,
): Promise<{ status: string; facts: SessionOp[] }> {
  const config = loadConfig(w.configPath);
  const store = createSessionStore(config.session_store, { dataDir: config.data_dir });
  await store.open();
  try {
    const row = await store.load(sessionId);
    assert.ok(row !== null, `session ${sessionId} is stored`);
    assert.equal((row.state as { v: number }).v, 2);
    const state = decodeState(row.state);
    assert.ok(state !== null, `session ${sessionId}'s stored state decodes`);
    return { status: row.status, facts: state.facts };
  } finally {
    await store.close();
  }
}

/**
 * Builds three sessions (s1 and s3 with the same history: PII, then financial, then PII by
 * another agent; s2 with one read), restarts the broker, and checks that views and fact lists
 * are identical. The reopened broker's working memory is read back by closing s1 and s2: a close
 * saves exactly the facts working memory holds.
 */
export async function checkRestart(w: SessionWorld): Promise<void> {
  const b1 = await w.open();
  let before: unknown[];
  try {
    for (const s of ['s1', 's3']) {
      await ask(b1, 'alice', ['hr'], s);
      const fin = await ask(b1, 'alice', ['financial'], s);
      assert.ok(fin.exposure_summary?.flags.includes('pii-financial-combination'));
      await ask(b1, 'bob', ['crm'], s);
    }
    await ask(b1, 'bob', ['vulnerability'], 's2');
    before = [await b1.session('s1'), await b1.session('s2'), await b1.session('s3')];
  } finally {
    await b1.close();
  }
  const stored = [await storedFacts(w, 's1'), await storedFacts(w, 's2')];
  for (const s of stored) assert.equal(s.status, 'open');
  // The stored state holds more than exposures: purpose, flags and summary facts too.
  const templates = new Set(stored[0]?.facts.map((f) => f.template));
  for (const t of ['session_purpose', 'session_exposure', 'exposure_flag', 'session_summary'])
    assert.ok(templates.has(t), `stored facts include ${t}: ${[...templates].join(', ')}`);

  const b2 = await w.open();
  try {
    const after = [await b2.session('s1'), await b2.session('s2'), await b2.session('s3')];
    assert.deepEqual(after, before);
    // The policy keeps counting from the restored state: PII stays blocked after PII+financial.
    const r = await ask(b2, 'alice', ['support'], 's3');
    assert.deepEqual(r.sources_queried, []);
    assert.ok(r.sources_denied.some((d) => d.source_id === 'pii-c'));
    await b2.closeSession('s1');
    await b2.closeSession('s2');
  } finally {
    await b2.close();
  }
  const closed = [await storedFacts(w, 's1'), await storedFacts(w, 's2')];
  for (const c of closed) assert.equal(c.status, 'closed');
  assert.deepEqual(
    closed.map((c) => c.facts),
    stored.map((s) => s.facts),
    'the facts restored into working memory are the stored ones, in the same order',
  );
}
