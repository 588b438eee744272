// Sessions on a real PostgreSQL session store (a throwaway cluster, a fresh database per test):
// identical state after a restart, no lost update under concurrency — within one broker and
// between two broker processes sharing the database — and the server stopping mid-run (session
// requests fail closed, standalone ones keep working, nothing acknowledged is lost).
// Skips, visibly, when PostgreSQL is not installed.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Adapter, createAdapter } from '../../src/adapters/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { type PgTestCluster, usePgCluster } from '../helpers/pg.ts';
import { ask, pgSessionStore, sessionWorld } from './session-fixture.ts';
import { checkRestart, storedFacts } from './session-restart.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HAMMER = join(ROOT, 'test/broker/session-hammer.ts');

const cluster = usePgCluster();

let dbCount = 0;
/** A new empty database on the cluster; returns its DSN. (A client per call: the server is
 *  restarted by the last tests, which would break a long-lived one.) */
async function freshDatabase(c: PgTestCluster): Promise<string> {
  const name = `sessions_${process.pid}_${++dbCount}`;
  const admin = new pg.Client(c.databaseUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(c.databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The cluster, or undefined after a visible skip. */
function needCluster(t: TestContext): PgTestCluster | undefined {
  if (cluster.cluster === undefined) t.skip(cluster.skipReason);
  return cluster.cluster;
}

const isCode = (c: string) => (x: unknown) => x instanceof NautilusError && x.code === c;

describe('sessions on PostgreSQL: restart', () => {
  for (const mode of ['synchronous', 'async'] as const) {
    test(`${mode}: exposures, flags, summaries and fact lists are identical after reopening`, async (t) => {
      const c = needCluster(t);
      if (c === undefined) return;
      const w = sessionWorld({
        sessionStore: pgSessionStore(await freshDatabase(c)),
        persistence: `  mode: ${mode}${mode === 'async' ? '\n  accept_async_loss: true' : ''}`,
      });
      try {
        await checkRestart(w);
      } finally {
        w.cleanup();
      }
    });
  }
});

describe('sessions on PostgreSQL: no lost update', () => {
  test('100 concurrent requests in one session record 100 exposures', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const w = sessionWorld({ sessionStore: pgSessionStore(await freshDatabase(c)) });
    const b = await w.open();
    try {
      const results = await Promise.all(
        Array.from({ length: 100 }, () => ask(b, 'alice', ['vulnerability'], 'busy')),
      );
      assert.ok(results.every((r) => r.sources_queried.length === 1));
      const view = await b.session('busy');
      assert.equal(view.exposures.length, 100);
      assert.equal(view.summary.exposures, 100);
      assert.deepEqual(
        new Set(view.exposures.map((e) => e.request_id)),
        new Set(results.map((r) => r.request_id)),
      );
      await b.close();
      const stored = await storedFacts(w, 'busy');
      assert.equal(stored.facts.filter((f) => f.template === 'session_exposure').length, 100);
    } finally {
      await b.close();
      w.cleanup();
    }
  });

  test('two broker processes hammering one session lose nothing', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const N = 40;
    const children = ['p1', 'p2'].map((tag) =>
      spawn(process.execPath, ['--import', 'tsx', HAMMER, dsn, 'shared', tag, String(N), '8'], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    const outputs = children.map(collect);
    try {
      // Both brokers are up (sessions restored, store open) before either sends anything.
      await Promise.all(outputs.map((o) => o.line(0)));
      for (const child of children) child.stdin.write('go\n');
      const results = await Promise.all(outputs.map((o) => o.done));
      const reports = results.map((r, i) => {
        assert.equal(r.code, 0, `child ${i + 1} exited with ${r.code}:\n${r.stderr}`);
        return JSON.parse(r.lines[1] ?? 'null') as { acknowledged: string[]; errors: string[] };
      });
      for (const r of reports) {
        assert.deepEqual(r.errors, []);
        assert.equal(r.acknowledged.length, N);
      }
      const w = sessionWorld({ sessionStore: pgSessionStore(dsn) });
      const b = await w.open();
      try {
        const view = await b.session('shared');
        const ids = view.exposures.map((e) => e.request_id);
        assert.equal(ids.length, 2 * N);
        assert.equal(new Set(ids).size, 2 * N, 'distinct request ids');
        assert.deepEqual(new Set(ids), new Set(reports.flatMap((r) => r.acknowledged)));
        assert.equal(view.summary.exposures, 2 * N);
        // How often the writer changed along the session's history (1 = no interleaving).
        const switches = ids.filter((id, i) => i > 0 && id[1] !== ids[i - 1]?.[1]).length;
        t.diagnostic(`writer switches along the history: ${switches}`);
        assert.ok(switches >= 2, 'the two processes interleaved (each reloaded the other)');
      } finally {
        await b.close();
        w.cleanup();
      }
      // Each process saw the other's writes before its own: one save per request, no conflict.
      assert.equal(await versionOf(dsn, 'shared'), 2 * N);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

/** Waits for `condition` (checked every 10 ms); fails after 10 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), 'the awaited event did not happen within 10 s');
}

async function versionOf(dsn: string, sessionId: string): Promise<number> {
  const client = new pg.Client(dsn);
  await client.connect();
  try {
    const res = await client.query<{ version: string }>(
      'SELECT version::text AS version FROM nautilus_sessions WHERE session_id = $1',
      [sessionId],
    );
    return Number(res.rows[0]?.version ?? 0);
  } finally {
    await client.end();
  }
}

interface ChildOutput {
  /** Resolves with the i-th stdout line once it is printed (rejects if the child ends first). */
  line(i: number): Promise<string>;
  readonly done: Promise<{ code: number | null; lines: string[]; stderr: string }>;
}

function collect(child: ChildProcessWithoutNullStreams): ChildOutput {
  const lines: string[] = [];
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr += s;
  });
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  const done = new Promise<{ code: number | null; lines: string[]; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      for (const w of waiters.splice(0)) w();
      resolve({ code, lines, stderr });
    }),
  );
  return {
    done,
    line: (i) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const l = lines[i];
          if (l !== undefined) resolve(l);
          else if (child.exitCode !== null)
            reject(new Error(`child exited (${child.exitCode}) before line ${i}:\n${stderr}`));
          else waiters.push(check);
        };
        check();
      }),
  };
}

// Last: it stops and restarts the cluster's server.
describe('sessions on PostgreSQL: the server stops mid-run', () => {
  function pgCtl(c: PgTestCluster, args: string[]): void {
    const env = Object.fromEntries(
      readFileSync(join(c.base, 'pg-test.env'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    ) as Record<string, string>;
    const r = spawnSync(
      'runuser',
      ['-u', env.PGOSUSER!, '--', join(env.PGBIN!, 'pg_ctl'), '-D', join(c.base, 'data'), ...args],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, `pg_ctl ${args.join(' ')} failed: ${r.stderr}`);
  }
  const stop = (c: PgTestCluster) => pgCtl(c, ['-m', 'fast', '-w', 'stop']);
  const start = (c: PgTestCluster) =>
    pgCtl(c, [
      '-l',
      join(c.base, 'server.log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${c.port} -k ${c.base} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
      'start',
    ]);

  /** Built-in adapters that stop the server during the next fetch once `armed` is set. */
  function stopper(c: PgTestCluster) {
    const s = {
      armed: false,
      factory: (spec: Parameters<typeof createAdapter>[0]): Adapter => {
        const real = createAdapter(spec);
        return {
          sourceId: real.sourceId,
          connect: () => real.connect(),
          close: () => real.close(),
          health: () => real.health(),
          execute: (intent, scope, ctx) => {
            if (s.armed) {
              s.armed = false;
              stop(c);
            }
            return real.execute(intent, scope, ctx);
          },
        };
      },
    };
    return s;
  }

  test('session requests fail with NAU_STORE_UNAVAILABLE, standalone ones work, nothing acknowledged is lost', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    // The server stops while one request holds the session's lock, between reading the session
    // and saving it: its exposure must not survive in the store or, after a resync, in memory.
    const stopping = stopper(c);
    const w = sessionWorld({ sessionStore: pgSessionStore(dsn) });
    const b = await w.open({ adapterFactory: stopping.factory });
    let serverUp = true;
    try {
      const acknowledged: string[] = [];
      for (const [i, type] of ['hr', 'vulnerability', 'vulnerability'].entries()) {
        const r = await ask(b, 'alice', [type], 's1', { request_id: `ok-${i}` });
        assert.equal(r.sources_queried.length, 1);
        acknowledged.push(r.request_id);
      }
      await ask(b, 'alice', ['vulnerability'], 's2', { request_id: 'other-0' });

      stopping.armed = true;
      serverUp = false;
      await assert.rejects(
        ask(b, 'alice', ['vulnerability'], 's1', { request_id: 'lost-0' }),
        (x: unknown) => isCode('NAU_STORE_UNAVAILABLE')(x) && (x as NautilusError).status === 503,
      );
      assert.equal(stopping.armed, false, 'the server was stopped during the fetch');
      // While it is down: every session request fails closed, new sessions too ...
      for (const s of ['s1', 's2', 'brand-new'])
        await assert.rejects(
          ask(b, 'alice', ['vulnerability'], s),
          isCode('NAU_STORE_UNAVAILABLE'),
        );
      await assert.rejects(b.session('s1'), isCode('NAU_STORE_UNAVAILABLE'));
      await assert.rejects(b.closeSession('s1'), isCode('NAU_STORE_UNAVAILABLE'));
      // ... and standalone requests (no session to record) keep working.
      const standalone = await b.query('alice', { dataTypes: ['hr'] });
      assert.deepEqual(standalone.sources_queried, ['pii-a']);
      assert.equal(standalone.exposure_summary, null);

      start(c);
      serverUp = true;
      // The store reconnects by itself; the failed request's exposure is gone, the rest is there.
      const view = await b.session('s1');
      assert.deepEqual(
        view.exposures.map((e) => e.request_id),
        acknowledged,
      );
      const next = await ask(b, 'alice', ['vulnerability'], 's1', { request_id: 'ok-3' });
      assert.equal(next.sources_queried.length, 1);
      assert.equal(next.exposure_summary?.exposures, 4);
      assert.equal((await b.session('s2')).exposures.length, 1);
    } finally {
      if (!serverUp) start(c);
      await b.close();
    }
    const stored = await storedFacts(w, 's1');
    assert.deepEqual(
      stored.facts.filter((f) => f.template === 'session_exposure').map((f) => f.slots.request_id),
      ['ok-0', 'ok-1', 'ok-2', 'ok-3'],
    );
    w.cleanup();
  });

  test('async mode: writes queued while it is down are kept and saved once it is back', async (t) => {
    const c = needCluster(t);
    if (c === undefined) return;
    const dsn = await freshDatabase(c);
    const stopping = stopper(c);
    const w = sessionWorld({
      sessionStore: pgSessionStore(dsn),
      persistence: '  mode: async\n  accept_async_loss: true',
    });
    const warnings: string[] = [];
    const b = await w.open({ adapterFactory: stopping.factory, warn: (m) => warnings.push(m) });
    let serverUp = true;
    try {
      await ask(b, 'alice', ['hr'], 's1', { request_id: 'ok-0' });
      await ask(b, 'alice', ['crm'], 's1', { request_id: 'ok-1' });
      // The third PII read is acknowledged (async mode) while its write can no longer happen.
      stopping.armed = true;
      serverUp = false;
      const third = await ask(b, 'alice', ['support'], 's1', { request_id: 'ok-2' });
      assert.deepEqual(third.sources_queried, ['pii-c']);
      assert.equal(stopping.armed, false, 'the server was stopped during the fetch');
      await assert.rejects(ask(b, 'alice', ['hr'], 's1'), isCode('NAU_STORE_UNAVAILABLE'));
      // The queued write is tried (25 ms after the commit) and refused while the server is down.
      await until(() => warnings.some((m) => /stay queued and are retried/.test(m)));
      start(c);
      serverUp = true;
      // The session still counts three PII sources: a fourth is denied.
      const fourth = await ask(b, 'alice', ['marketing'], 's1', { request_id: 'ok-3' });
      assert.deepEqual(fourth.sources_queried, []);
      assert.ok(fourth.sources_denied.some((d) => d.source_id === 'pii-d'));
      assert.deepEqual(fourth.exposure_summary?.pii_sources.slice().sort(), [
        'pii-a',
        'pii-b',
        'pii-c',
      ]);
    } finally {
      if (!serverUp) start(c);
      await b.close();
    }
    const stored = await storedFacts(w, 's1');
    assert.deepEqual(
      stored.facts.filter((f) => f.template === 'session_exposure').map((f) => f.slots.request_id),
      ['ok-0', 'ok-1', 'ok-2'],
    );
    w.cleanup();
  });
});
