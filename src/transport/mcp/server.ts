// One MCP server instance exposing the broker as four tools. The transports build one per
// connection (stdio) or per HTTP request, bound to the caller's principal.
import { type CallToolResult, McpServer } from '@modelcontextprotocol/server';
import type { SessionView } from '../../broker/broker.ts';
import type { Broker } from '../../broker/index.ts';
import { NautilusError } from '../../errors.ts';
import { checkAgent, checkSessionAgents, type Principal } from '../principal.ts';
import { describeError, type McpLogger } from './logger.ts';
import { failure, requestSummary, sessionSummary, success, toToolError } from './results.ts';
import { advertised, parseArgs, queryArgs, requestArgs, sessionArgs } from './tool-schemas.ts';

export const SERVER_INFO = { name: 'nautilus', version: '0.1.0' } as const;

export const TOOL_NAMES = [
  'nautilus_request',
  'nautilus_query',
  'nautilus_session',
  'nautilus_close_session',
] as const;

export type ToolName = (typeof TOOL_NAMES)[number];

const INSTRUCTIONS =
  'Nautilus is a policy-first data broker. Ask for data with nautilus_request (plain language) ' +
  'or nautilus_query (data types and filters), always naming the agent you act as. Policy ' +
  'decides which sources are queried and with what row scope; denied sources come back with ' +
  'reasons. Pass the same context.session_id to related requests: later requests are judged ' +
  'against everything the session has seen. Refusals are tool errors with a NAU_* code.';

export interface ServerDeps {
  readonly broker: Broker;
  readonly principal: Principal;
  readonly logger: McpLogger;
  /** `stdio` or `http`, for the logs. */
  readonly transport: string;
}

export function createNautilusServer(deps: ServerDeps): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    instructions: INSTRUCTIONS,
  });
  const { broker, principal } = deps;
  const run = guarded(deps);

  server.registerTool(
    'nautilus_request',
    {
      title: 'Request data in plain language',
      description:
        'Ask the broker for data as an agent, in plain language. Returns the records of every ' +
        'source policy allowed (with the row scope applied), the denied sources with reasons, ' +
        'the session exposure and a signed attestation token.',
      inputSchema: advertised(requestArgs),
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    (args) =>
      run('nautilus_request', async () => {
        const a = parseArgs('nautilus_request', requestArgs, args);
        checkAgent(principal, a.agent_id);
        const r = await broker.request(a.agent_id, a.intent, a.context);
        return { agent: a.agent_id, result: success(requestSummary(r), r) };
      }),
  );

  server.registerTool(
    'nautilus_query',
    {
      title: 'Query data by type and filters',
      description:
        'A structured request: name the data types, optional filters and purpose instead of ' +
        'plain language. Same policy, answer and attestation as nautilus_request.',
      inputSchema: advertised(queryArgs),
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    (args) =>
      run('nautilus_query', async () => {
        const a = parseArgs('nautilus_query', queryArgs, args);
        checkAgent(principal, a.agent_id);
        const r = await broker.query(
          a.agent_id,
          {
            dataTypes: a.data_types,
            ...(a.filters === undefined
              ? {}
              : {
                  filters: a.filters.map((f) => ({
                    field: f.field,
                    operator: f.operator,
                    value: f.value ?? null,
                  })),
                }),
            ...(a.purpose === undefined ? {} : { purpose: a.purpose }),
          },
          a.context,
        );
        return { agent: a.agent_id, result: success(requestSummary(r), r) };
      }),
  );

  server.registerTool(
    'nautilus_session',
    {
      title: 'Show a session',
      description:
        "A session's cumulative exposure: status, every source access with its request, the " +
        'flags policy raised and the summary later requests are judged against.',
      inputSchema: advertised(sessionArgs),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      run('nautilus_session', async () => {
        const a = parseArgs('nautilus_session', sessionArgs, args);
        const view = await broker.session(a.session_id);
        checkSessionAgents(principal, a.session_id, sessionAgents(view));
        return { result: success(sessionSummary(view), view) };
      }),
  );

  server.registerTool(
    'nautilus_close_session',
    {
      title: 'Close a session',
      description:
        'End a session: its final summary goes to the audit log and its exposure stops ' +
        'counting. Later requests naming it are refused. Closing a closed session is a no-op.',
      inputSchema: advertised(sessionArgs),
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    (args) =>
      run('nautilus_close_session', async () => {
        const a = parseArgs('nautilus_close_session', sessionArgs, args);
        if (!principal.anyAgent) {
          const before = await broker.session(a.session_id);
          checkSessionAgents(principal, a.session_id, sessionAgents(before));
        }
        await broker.closeSession(a.session_id);
        const view = await broker.session(a.session_id);
        return { result: success(sessionSummary(view), view) };
      }),
  );

  return server;
}

interface Outcome {
  readonly result: CallToolResult;
  readonly agent?: string;
}

/** Runs a tool body: every failure becomes an error result, every call one log line. */
function guarded(deps: ServerDeps) {
  return async (tool: string, body: () => Promise<Outcome>): Promise<CallToolResult> => {
    const started = performance.now();
    const base = { transport: deps.transport, tool, key_id: deps.principal.keyId };
    try {
      const { result, agent } = await body();
      deps.logger.info(
        { ...base, ...(agent === undefined ? {} : { agent_id: agent }), ok: true, ms: ms(started) },
        'mcp tool call',
      );
      return result;
    } catch (x) {
      const error = toToolError(x);
      const entry = { ...base, ok: false, code: error.code, ms: ms(started) };
      if (!(x instanceof NautilusError) || x.status >= 500) {
        const cause = x instanceof NautilusError ? x.detail.cause : undefined;
        deps.logger.error(
          {
            ...entry,
            error: describeError(x),
            ...(cause === undefined ? {} : { cause: describeError(cause) }),
          },
          'mcp tool call failed',
        );
      } else if (error.code.startsWith('NAU_AUTH_')) {
        deps.logger.warn(entry, 'mcp tool call forbidden');
      } else {
        deps.logger.info(entry, 'mcp tool call refused');
      }
      return failure(error);
    }
  };
}

/** Every agent a session has seen act in it. */
function sessionAgents(v: SessionView): Set<string> {
  return new Set([...v.summary.agents, ...v.exposures.map((e) => e.agent_id)]);
}

function ms(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
