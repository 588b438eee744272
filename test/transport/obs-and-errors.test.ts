// The logger (JSON, pretty, redaction, request ids), the metrics registry, and the error mapping
// that keeps internals out of answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NautilusError } from '../../src/errors.ts';
import {
  createLogger,
  formatPrettyLine,
  NautilusMetrics,
  requestLogger,
} from '../../src/obs/index.ts';
import { errorBody, toNautilusError } from '../../src/transport/rest/index.ts';

function sink(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => lines.push(line) };
}

describe('logger', () => {
  it('writes JSON lines with ISO time and level names; child loggers carry request ids', () => {
    const out = sink();
    const log = createLogger({ destination: out });
    requestLogger(log, { request_id: 'r-1', session_id: null, agent_id: 'auditor' }).info(
      { status: 200 },
      'request completed',
    );
    const line = JSON.parse(out.lines[0] as string);
    assert.equal(line.level, 'info');
    assert.match(line.time, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(line.request_id, 'r-1');
    assert.equal(line.agent_id, 'auditor');
    assert.equal('session_id' in line, false, 'absent ids are left out');
    assert.equal(line.msg, 'request completed');
  });

  it('redacts secrets by key, at the top level and one level down', () => {
    const out = sink();
    const log = createLogger({ destination: out });
    log.info({
      token: 'tok-123',
      headers: { authorization: 'Bearer sk-1', 'x-api-key': 'sk-2', accept: 'json' },
      source: { id: 's', connection: 'postgres://u:pw@h/db', password: 'pw' },
      attestation_token: 'jws',
    });
    const text = out.lines[0] as string;
    for (const secret of ['tok-123', 'sk-1', 'sk-2', 'postgres://u:pw@h/db', '"pw"', 'jws'])
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.match(text, /"accept":"json"/);
    assert.match(text, /\[redacted\]/);
  });

  it('pretty prints one readable line per record', () => {
    const out = sink();
    createLogger({ destination: out, format: 'pretty' }).warn(
      { request_id: 'r-9', note: 'two words' },
      'slow source',
    );
    const line = out.lines[0] as string;
    assert.match(
      line,
      /^\d{4}-\d{2}-\d{2}T\S+ WARN {2}slow source request_id=r-9 note="two words"\n$/,
    );
    assert.equal(formatPrettyLine('not json'), 'not json\n');
  });

  it('honours the level', () => {
    const out = sink();
    const log = createLogger({ destination: out, level: 'warn' });
    log.info('hidden');
    log.error('shown');
    assert.equal(out.lines.length, 1);
  });
});

describe('metrics', () => {
  it('keeps a registry per instance, with every outcome present from the start', async () => {
    const a = new NautilusMetrics({ defaultMetrics: false });
    const b = new NautilusMetrics();
    a.requests.inc({ outcome: 'ok' });
    const textA = await a.text();
    const textB = await b.text();
    assert.match(textA, /^nautilus_requests_total\{outcome="ok"\} 1$/m);
    assert.match(textB, /^nautilus_requests_total\{outcome="ok"\} 0$/m);
    assert.match(textB, /^nautilus_requests_total\{outcome="refused"\} 0$/m);
    assert.doesNotMatch(textA, /nautilus_process_cpu/);
    assert.match(textB, /nautilus_process_cpu_seconds_total/);
  });

  it('reads the gauges from the bound broker at scrape time', async () => {
    const m = new NautilusMetrics({ defaultMetrics: false });
    let facts = 5;
    m.bindGauges({ workingMemoryFacts: () => facts, openSessions: () => 2 });
    assert.match(await m.text(), /^nautilus_working_memory_facts 5$/m);
    facts = 9;
    assert.match(await m.text(), /^nautilus_working_memory_facts 9$/m);
    assert.match(await m.text(), /^nautilus_sessions_open 2$/m);
  });
});

describe('error answers', () => {
  it('keep a client error’s code, message and detail (without its cause)', () => {
    const err = new NautilusError('NAU_REQUEST_INVALID', 'body.intent: required', 400, {
      field: 'intent',
      cause: new Error('inner'),
    });
    assert.deepEqual(errorBody(err), {
      error: {
        code: 'NAU_REQUEST_INVALID',
        message: 'body.intent: required',
        detail: { field: 'intent' },
      },
    });
  });

  it('keep only code and message of a server error', () => {
    const err = new NautilusError(
      'NAU_STORE_UNAVAILABLE',
      'the session store is unavailable',
      503,
      {
        cause: 'connect ECONNREFUSED 10.0.0.9:5432 user=nautilus',
      },
    );
    assert.deepEqual(errorBody(err), {
      error: { code: 'NAU_STORE_UNAVAILABLE', message: 'the session store is unavailable' },
    });
  });

  it('turn anything else into a bare 500 NAU_INTERNAL', () => {
    const leaky = new Error('SQLITE_CORRUPT at /srv/nautilus/sessions.db: SELECT state FROM ...');
    const err = toNautilusError(leaky);
    assert.equal(err.status, 500);
    assert.deepEqual(errorBody(err), {
      error: { code: 'NAU_INTERNAL', message: 'internal error' },
    });
    assert.equal(
      toNautilusError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }).code,
      'NAU_REQUEST_TOO_LARGE',
    );
  });
});
