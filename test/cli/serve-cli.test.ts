// `nautilus serve` exit codes: 2 for bad arguments and configs it refuses before starting (with
// the reason on stderr), 1 for a runtime failure (the port is taken), 0 for a clean stop; and the
// transports it wires (REST + MCP over HTTP on one broker, REST without auth on loopback).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { KEYS, quickstartCopy } from '../transport/rest-fixture.ts';
import { spawnServe, waitReady } from '../transport/serve-process.ts';

describe('nautilus serve', () => {
  let copy: ReturnType<typeof quickstartCopy>;
  before(() => {
    copy = quickstartCopy();
  });
  after(() => copy.cleanup());

  const refused = async (args: string[], reason: RegExp) => {
    const r = await spawnServe(args).exited;
    assert.equal(r.status, 2, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, reason);
  };

  it('exits 2 on bad arguments', async () => {
    await Promise.all([
      refused([], /required option.*--config/),
      refused(
        ['--config', copy.config, '--transport', 'pigeon'],
        /Allowed choices are rest, mcp, both/,
      ),
      refused(
        ['--config', copy.config, '--bind', 'localhost'],
        /--bind localhost: expected host:port/,
      ),
      refused(['--config', copy.config, '--log-format', 'xml'], /Allowed choices are json, pretty/),
    ]);
  });

  it('exits 2 on an unreadable or invalid config, naming the problem', async () => {
    const bad = join(copy.dir, 'bad.yaml');
    writeFileSync(bad, 'sources:\n  - id: x\n    type: sqlite\n    clasification: cui\n');
    await Promise.all([
      refused(['--config', join(copy.dir, 'missing.yaml')], /missing\.yaml.*no such file/),
      refused(['--config', bad], /bad\.yaml:4:5: sources\[0\]\.clasification: unknown key/),
    ]);
  });

  it('exits 2 when it cannot serve safely: no keys, --no-auth off loopback, WAL, air gap', async () => {
    const noKeys = quickstartCopy('api: { port: 0 }\n');
    const remote = quickstartCopy();
    const ticketSource = `sources:
  - id: tickets
    type: rest
    classification: cui
    data_types: [ticket]
    connection: https://tickets.example.com/api
    endpoints: [{ path: /tickets }]
`;
    writeFileSync(
      remote.config,
      readFileSync(remote.config, 'utf8').replace('sources:\n', ticketSource),
    );
    try {
      await Promise.all([
        refused(['--config', noKeys.config], /no API keys are configured.*--no-auth/s),
        refused(
          ['--config', noKeys.config, '--no-auth', '--bind', '0.0.0.0:0'],
          /--no-auth is only allowed on a loopback address, not 0\.0\.0\.0/,
        ),
        refused(['--config', copy.config, '--no-auth'], /api\.keys are configured/),
        refused(
          ['--config', copy.config, '--wal-repair', 'truncate-at-first-bad'],
          /--wal-repair: the WAL is not enabled/,
        ),
        refused(
          ['--config', remote.config, '--air-gapped'],
          /--air-gapped.*\n.*sources tickets: rest source on tickets\.example\.com/,
        ),
      ]);
    } finally {
      noKeys.cleanup();
      remote.cleanup();
    }
  });

  it('exits 1 when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await spawnServe(['--config', copy.config, '--bind', `127.0.0.1:${port}`]).exited;
      assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /"msg":"cannot listen"/);
      assert.match(r.stdout, /EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('--transport both serves REST and MCP over HTTP from one broker, with the same keys', async () => {
    const p = spawnServe([
      '--config',
      copy.config,
      '--transport',
      'both',
      '--mcp-mode',
      'http',
      '--mcp-bind',
      '127.0.0.1:0',
    ]);
    try {
      const base = await p.listening;
      await waitReady(base);
      const mcpUrl = await new Promise<string>((resolve) => {
        const look = () => {
          const m = /"address":"(http:\/\/[^"]+\/mcp)"/.exec(p.output());
          if (m !== null) resolve(m[1] as string);
          else setTimeout(look, 20);
        };
        look();
      });
      const client = new Client({ name: 'serve-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(mcpUrl), {
          requestInit: { headers: { authorization: `Bearer ${KEYS.demo}` } },
        }),
      );
      const r = (await client.callTool({
        name: 'nautilus_request',
        arguments: {
          agent_id: 'soc-analyst',
          intent: 'critical CVEs on 10.0.0.5',
          context: { session_id: 'both-1' },
        },
      })) as { isError?: boolean; structuredContent?: { sources_queried: string[] } };
      assert.notEqual(r.isError, true, JSON.stringify(r));
      assert.deepEqual(r.structuredContent?.sources_queried, ['vuln-scans']);
      await client.close();
      // The MCP request went through the same broker: REST sees its session and its metrics.
      const session = await fetch(`${base}/v1/sessions/both-1`, {
        headers: { authorization: `Bearer ${KEYS.demo}` },
      });
      assert.equal(session.status, 200);
      const metrics = await (
        await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${KEYS.demo}` } })
      ).text();
      assert.match(metrics, /^nautilus_requests_total\{outcome="ok"\} 1$/m);
    } finally {
      p.child.kill('SIGTERM');
      const e = await p.exited;
      assert.equal(e.status, 0, e.stdout + e.stderr);
    }
  });

  it('with --no-auth on loopback and no keys, serves and stops cleanly (exit 0) on SIGINT', async () => {
    const noKeys = quickstartCopy('api: { port: 0 }\n');
    try {
      const p = spawnServe(['--config', noKeys.config, '--no-auth', '--log-format', 'pretty']);
      // Pretty logs: read the address from the text line.
      const base = await new Promise<string>((resolve, reject) => {
        let out = '';
        p.child.stdout?.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /REST API listening address=(http:\/\/\S+)/.exec(out);
          if (m !== null) resolve(m[1] as string);
        });
        void p.exited.then((e) => reject(new Error(`exited: ${e.stdout}${e.stderr}`)));
      });
      await waitReady(base);
      const r = await fetch(`${base}/v1/sources`);
      assert.equal(r.status, 200);
      p.child.kill('SIGINT');
      const e = await p.exited;
      assert.equal(e.status, 0, e.stdout + e.stderr);
      assert.match(e.stdout, /WARN {2}authentication is OFF/);
      assert.match(e.stdout, /INFO {2}stopped clean=true/);
    } finally {
      noKeys.cleanup();
    }
  });
});
