// The MCP transport over stdio, in a child process (a small fixture, and `nautilus serve
// --transport mcp --mcp-mode stdio`): the official SDK client drives it, and a raw exchange
// checks that stdout carries JSON-RPC and nothing else (logs, and console.log in the fixture, go
// to stderr), and that the server exits once the client closes stdin.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { TOOL_NAMES } from '../../src/transport/mcp/index.ts';
import { type QuickstartCopy, quickstartCopy } from './fixtures/quickstart.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/mcp-stdio-server.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface StdioServer {
  readonly name: string;
  args(configPath: string): string[];
  /** What this server's stderr must show after a clean session. */
  readonly stderr: readonly RegExp[];
}

const SERVERS: readonly StdioServer[] = [
  {
    name: 'test fixture',
    args: (config) => ['--import', 'tsx', FIXTURE, config],
    stderr: [/stray console\.log output/, /fixture: broker closed/],
  },
  {
    name: 'nautilus serve --transport mcp --mcp-mode stdio',
    args: (config) => [
      '--import',
      'tsx',
      CLI,
      'serve',
      '--config',
      config,
      '--transport',
      'mcp',
      '--mcp-mode',
      'stdio',
    ],
    stderr: [],
  },
];

// Each test gets its own copy: a server still shutting down must not hold the next one's files.
const copies: QuickstartCopy[] = [];
function freshConfig(): string {
  const qs = quickstartCopy();
  copies.push(qs);
  return qs.configPath;
}

after(() => {
  for (const qs of copies) qs.cleanup();
});

for (const server of SERVERS)
  describe(`MCP over stdio: ${server.name}`, () => {
    it('serves the tools to the SDK client', async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: server.args(freshConfig()),
        cwd: ROOT,
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      const client = new Client({ name: 'nautilus-test', version: '1.0.0' });
      await client.connect(transport);
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
        const r = await client.callTool({
          name: 'nautilus_request',
          arguments: {
            agent_id: 'soc-analyst',
            intent: 'critical CVEs on 10.0.0.5',
            context: { session_id: 'stdio-1' },
          },
        });
        assert.notEqual(r.isError, true);
        const body = r.structuredContent as {
          sources_queried: string[];
          exposure_summary: { exposures: number };
        };
        assert.deepEqual(body.sources_queried, ['vuln-scans']);
        assert.equal(body.exposure_summary.exposures, 1);
        const view = await client.callTool({
          name: 'nautilus_session',
          arguments: { session_id: 'stdio-1' },
        });
        assert.equal((view.structuredContent as { status: string }).status, 'open');
        const unknown = await client.callTool({
          name: 'nautilus_request',
          arguments: { agent_id: 'intruder', intent: 'all employees' },
        });
        assert.equal(unknown.isError, true);
        assert.equal((unknown.structuredContent as { code: string }).code, 'NAU_AGENT_UNKNOWN');
      } finally {
        await client.close();
      }
      assert.match(stderr, /mcp server listening on stdio/);
    });

    it('writes only JSON-RPC to stdout and exits when stdin closes', async () => {
      const child = spawn(process.execPath, server.args(freshConfig()), {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      const answered = new Set<number>();
      const allAnswered = new Promise<void>((resolve) => {
        child.stdout.on('data', (b: Buffer) => {
          stdout += b.toString();
          const complete = stdout.split('\n').slice(0, -1);
          for (const line of complete) {
            try {
              const id = (JSON.parse(line) as { id?: unknown }).id;
              if (typeof id === 'number') answered.add(id);
            } catch {
              // Not JSON: the assertions below report it.
            }
          }
          if (answered.size === 4) resolve();
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const send = (m: object) => child.stdin.write(`${JSON.stringify(m)}\n`);
      send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      });
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      send({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: {
          name: 'nautilus_request',
          arguments: { agent_id: 'soc-analyst', intent: 'critical CVEs' },
        },
      });
      send({
        jsonrpc: '2.0',
        id: 4,
        method: 'tools/call',
        params: { name: 'nautilus_request', arguments: { agent_id: 'soc-analyst' } },
      });
      await allAnswered;
      child.stdin.end();
      assert.equal(await exited, 0, stderr);

      const lines = stdout.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 4, stdout);
      for (const line of lines) {
        const m = JSON.parse(line) as { jsonrpc?: string; id?: number };
        assert.equal(m.jsonrpc, '2.0', line);
        assert.ok(typeof m.id === 'number', line);
      }
      // The logger's lines and a stray console.log went to stderr instead.
      assert.match(stderr, /"msg":"mcp server listening on stdio"/);
      assert.match(stderr, /"tool":"nautilus_request".*"ok":true/);
      assert.match(stderr, /mcp stdio connection closed/);
      for (const expected of server.stderr) assert.match(stderr, expected);
    });
  });
