// What a caller sees when the broker fails in a way no request should cause: NAU_INTERNAL and a
// generic message, while the server's log keeps the detail. The broker here is a stand-in whose
// methods throw, because a real broker does not fail on demand.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import type { Broker } from '../../src/broker/index.ts';
import { NautilusError } from '../../src/errors.ts';
import { createNautilusServer, LOCAL_PRINCIPAL } from '../../src/transport/mcp/index.ts';
import { memoryLogger } from './fixtures/memory-logger.ts';

const SECRET = 'postgres://admin:hunter2@db.internal/prod';

const failingBroker = {
  session: async () => {
    throw new Error(`connection to ${SECRET} refused`);
  },
  request: async () => {
    throw new NautilusError('NAU_INTERNAL', 'internal error while handling the request', 500, {
      cause: new Error(`query on ${SECRET} failed`),
    });
  },
  query: async () => {
    throw new NautilusError('NAU_STORE_UNAVAILABLE', 'the session store is unavailable', 503);
  },
} as unknown as Broker;

it('hides internal failures from the caller and logs them', async () => {
  const logger = memoryLogger();
  const server = createNautilusServer({
    broker: failingBroker,
    principal: LOCAL_PRINCIPAL,
    logger,
    transport: 'memory',
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'nautilus-test', version: '1.0.0' });
  await client.connect(clientSide);
  try {
    const calls = [
      ['nautilus_session', { session_id: 's' }, 'NAU_INTERNAL'],
      ['nautilus_request', { agent_id: 'a', intent: 'x' }, 'NAU_INTERNAL'],
      ['nautilus_query', { agent_id: 'a', data_types: ['x'] }, 'NAU_STORE_UNAVAILABLE'],
    ] as const;
    for (const [name, args, code] of calls) {
      const r = await client.callTool({ name, arguments: args });
      assert.equal(r.isError, true);
      assert.equal((r.structuredContent as { code: string }).code, code, name);
      assert.ok(!JSON.stringify(r).includes('hunter2'), `${name} leaks nothing`);
    }
    const errors = logger.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 3);
    assert.match(JSON.stringify(errors[0]?.fields), /connection to postgres/);
    assert.match(String(errors[1]?.fields.cause), /query on postgres/);
    assert.equal(errors[2]?.fields.code, 'NAU_STORE_UNAVAILABLE');
  } finally {
    await client.close();
    await server.close();
  }
});
