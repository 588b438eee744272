// startMcp in stdio mode on caller-supplied streams, in process: the protocol goes to the given
// stdout, the process's console is left alone, and close() ends the connection.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, it } from 'node:test';
import { Broker } from '../../src/broker/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { startMcp } from '../../src/transport/mcp/index.ts';
import { memoryLogger } from './fixtures/memory-logger.ts';
import { type QuickstartCopy, quickstartCopy } from './fixtures/quickstart.ts';

let qs: QuickstartCopy;
let broker: Broker;

before(async () => {
  qs = quickstartCopy();
  broker = await Broker.fromConfig(qs.configPath, { auditFsync: false, warn: () => {} });
});

after(async () => {
  await broker.close();
  qs.cleanup();
});

/** Sends one JSON-RPC request and resolves with the response of the same id. */
function exchange(stdin: PassThrough, stdout: PassThrough) {
  let buffer = '';
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  stdout.on('data', (b: Buffer) => {
    buffer += b.toString();
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const m = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
      buffer = buffer.slice(nl + 1);
      if (typeof m.id === 'number') waiting.get(m.id)?.(m);
      nl = buffer.indexOf('\n');
    }
  });
  let next = 1;
  return (method: string, params: object = {}) => {
    const id = next++;
    const answer = new Promise<Record<string, unknown>>((resolve) => waiting.set(id, resolve));
    stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    return answer;
  };
}

it('serves on the given streams and stops on close()', async () => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const log = console.log;
  const logger = memoryLogger();
  const mcp = await startMcp(broker, { mode: 'stdio', stdin, stdout, logger });
  assert.equal(mcp.address, undefined);
  assert.equal(console.log, log, 'console is only redirected when serving on process.stdout');
  const rpc = exchange(stdin, stdout);
  const init = await rpc('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'in-process', version: '1' },
  });
  assert.equal((init.result as { serverInfo: { name: string } }).serverInfo.name, 'nautilus');
  stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  const call = await rpc('tools/call', {
    name: 'nautilus_close_session',
    arguments: { session_id: 'not-open' },
  });
  const result = call.result as { isError: boolean; structuredContent: { code: string } };
  assert.equal(result.isError, true);
  assert.equal(result.structuredContent.code, 'NAU_SESSION_UNKNOWN');
  assert.ok(
    logger.lines.some((l) => l.fields.tool === 'nautilus_close_session' && l.fields.ok === false),
  );
  await mcp.close();
  await mcp.closed;
  await mcp.close();
});

it('ends when the client closes stdin', async () => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const mcp = await startMcp(broker, { mode: 'stdio', stdin, stdout, logger: memoryLogger() });
  stdin.end();
  await mcp.closed;
});

it('refuses unknown modes and impossible ports', async () => {
  const invalid = (x: unknown) =>
    x instanceof NautilusError && x.code === 'NAU_MCP_OPTIONS_INVALID';
  await assert.rejects(startMcp(broker, { mode: 'sse' as 'http' }), invalid);
  await assert.rejects(startMcp(broker, { mode: 'http', port: 70_000 }), invalid);
  await assert.rejects(startMcp(broker, { mode: 'http', port: 1.5 }), invalid);
});
