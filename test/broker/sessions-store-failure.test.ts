// A session store that cannot be opened at startup: session requests fail closed with
// NAU_STORE_UNAVAILABLE (503) while standalone requests keep working; with
// `on_failure: fallback_memory` the broker warns loudly and keeps sessions in memory.
// No PostgreSQL server needed: a DSN pointing at a closed port is enough.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NautilusError } from '../../src/errors.ts';
import { ask, pgSessionStore, sessionWorld } from './session-fixture.ts';

/** A local port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('port')),
      );
    });
  });
}

/** Two unusable stores: a SQLite file whose folder is a device, and a closed PostgreSQL port. */
const STORES = [
  {
    name: 'sqlite path not creatable',
    lines: async () => '  path: /dev/null/sessions.db\n  ttl_seconds: 3600\n',
    why: /cannot create its folder/,
  },
  {
    name: 'postgres DSN on a closed port',
    lines: async () =>
      pgSessionStore(`postgres://nautilus:s3cret-pw@127.0.0.1:${await closedPort()}/nautilus`),
    why: /the server cannot be reached \(ECONNREFUSED\)/,
  },
] as const;

const unavailable = (x: unknown) =>
  x instanceof NautilusError && x.code === 'NAU_STORE_UNAVAILABLE' && x.status === 503;

describe('store unavailable at startup (on_failure: fail_closed, the default)', () => {
  for (const s of STORES) {
    test(`${s.name}: session requests get NAU_STORE_UNAVAILABLE, standalone ones work`, async () => {
      const w = sessionWorld({ sessionStore: await s.lines() });
      try {
        const warnings: string[] = [];
        const b = await w.open({ warn: (m) => warnings.push(m) });
        try {
          assert.ok(
            warnings.some((m) => /session store unavailable/.test(m) && s.why.test(m)),
            warnings.join('\n'),
          );
          assert.ok(
            warnings.every((m) => !m.includes('s3cret-pw')),
            'no password in warnings',
          );
          const e = await ask(b, 'alice', ['hr'], 's1', { request_id: 'refused-1' }).then(
            () => assert.fail('a session request succeeded without a store'),
            (x: unknown) => x,
          );
          assert.ok(unavailable(e), String(e));
          assert.ok(!(e as Error).message.includes('s3cret-pw'));
          await assert.rejects(b.session('s1'), unavailable);
          await assert.rejects(b.closeSession('s1'), unavailable);
          const r = await b.query('alice', { dataTypes: ['hr'] }, { request_id: 'standalone-1' });
          assert.deepEqual(r.sources_queried, ['pii-a']);
          assert.equal(r.exposure_summary, null);
          assert.ok(r.attestation_token !== null);
        } finally {
          await b.close();
        }
        const audit = readFileSync(join(w.dir, 'state', 'audit.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const refused = audit.find((e) => e.request_id === 'refused-1');
        assert.equal(refused?.outcome, 'error');
        assert.equal(refused?.error_code, 'NAU_STORE_UNAVAILABLE');
        assert.deepEqual(refused?.sources_queried, [], 'nothing was fetched for it');
        assert.equal(audit.find((e) => e.request_id === 'standalone-1')?.outcome, 'ok');
      } finally {
        w.cleanup();
      }
    });
  }
});

describe('store unavailable at startup with on_failure: fallback_memory', () => {
  for (const s of STORES) {
    test(`${s.name}: warns loudly, sessions work in memory and are gone after a restart`, async () => {
      const w = sessionWorld({ sessionStore: `${await s.lines()}  on_failure: fallback_memory` });
      try {
        const warnings: string[] = [];
        const b = await w.open({ warn: (m) => warnings.push(m) });
        try {
          assert.ok(
            warnings.some((m) => /FALLING BACK TO MEMORY: sessions are not durable/.test(m)),
            warnings.join('\n'),
          );
          assert.ok(
            warnings.every((m) => !m.includes('s3cret-pw')),
            'no password in warnings',
          );
          // The cumulative policy works as usual: PII from a fourth source is denied.
          for (const t of ['hr', 'crm', 'support'])
            assert.equal((await ask(b, 'alice', [t], 's1')).sources_queried.length, 1);
          const fourth = await ask(b, 'alice', ['marketing'], 's1');
          assert.deepEqual(fourth.sources_queried, []);
          assert.equal((await b.session('s1')).exposures.length, 3);
        } finally {
          await b.close();
        }
        const b2 = await w.open({ warn: () => {} });
        try {
          await assert.rejects(
            b2.session('s1'),
            (x: unknown) => x instanceof NautilusError && x.code === 'NAU_SESSION_UNKNOWN',
          );
        } finally {
          await b2.close();
        }
      } finally {
        w.cleanup();
      }
    });
  }
});
