// The broker's routes: requests, structured queries and sessions. A key bound to agents may act
// only as those agents, and see or close only sessions whose every agent it may act as.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext, SessionView } from '../../broker/index.ts';
import type { StructuredQuery } from '../../broker/intent/index.ts';
import { checkAgent, checkSessionAgents } from './auth.ts';
import { notesOf } from './request-notes.ts';
import { defineRoute, type RouteSpec } from './route-spec.ts';
import {
  brokerResponseSchema,
  queryBodySchema,
  requestBodySchema,
  sessionClosedSchema,
  sessionParamsSchema,
  sessionViewSchema,
} from './schemas.ts';
import type { ServerState } from './state.ts';

export function brokerRoutes(state: ServerState): RouteSpec[] {
  /** The broker's request id is the HTTP request's (X-Request-Id), unless the caller set
   *  context.request_id: then that id names the request in the answer header and the log too. */
  const contextFor = (
    ctx: RequestContext | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): RequestContext => {
    if (ctx?.request_id === undefined) return { ...ctx, request_id: request.id };
    notesOf(request).requestId = ctx.request_id;
    reply.header('x-request-id', ctx.request_id);
    return ctx;
  };

  return [
    defineRoute({
      method: 'POST',
      path: '/v1/request',
      operationId: 'request',
      summary: 'Ask for data in plain language',
      description:
        'Intent analysis, policy routing, scoped fetch, session exposure, attestation and an audit line. Denied sources are listed in sources_denied; the request itself still answers 200.',
      tag: 'broker',
      auth: 'key',
      body: requestBodySchema,
      responses: { 200: { description: 'the broker response', schema: brokerResponseSchema } },
      handler: ({ body, principal, request, reply }) => {
        const notes = notesOf(request);
        notes.agentId = body.agent_id;
        if (body.context?.session_id !== undefined) notes.sessionId = body.context.session_id;
        checkAgent(principal, body.agent_id);
        const broker = state.acquire();
        const context = contextFor(body.context, request, reply);
        return state.track(() => broker.request(body.agent_id, body.intent, context));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/query',
      operationId: 'query',
      summary: 'Ask for data types with explicit filters (no intent analysis)',
      tag: 'broker',
      auth: 'key',
      body: queryBodySchema,
      responses: { 200: { description: 'the broker response', schema: brokerResponseSchema } },
      handler: ({ body, principal, request, reply }) => {
        const notes = notesOf(request);
        notes.agentId = body.agent_id;
        if (body.context?.session_id !== undefined) notes.sessionId = body.context.session_id;
        checkAgent(principal, body.agent_id);
        const broker = state.acquire();
        const query: StructuredQuery = {
          dataTypes: body.data_types,
          ...(body.filters === undefined
            ? {}
            : { filters: body.filters.map((f) => ({ ...f, value: f.value ?? null })) }),
          ...(body.purpose === undefined ? {} : { purpose: body.purpose }),
        };
        const context = contextFor(body.context, request, reply);
        return state.track(() => broker.query(body.agent_id, query, context));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/sessions/:id',
      operationId: 'getSession',
      summary: "A session's cumulative exposure: every exposure, flag and the summary",
      tag: 'sessions',
      auth: 'key',
      params: sessionParamsSchema,
      responses: { 200: { description: 'the session', schema: sessionViewSchema } },
      handler: async ({ params, principal, request }) => {
        notesOf(request).sessionId = params.id;
        const broker = state.acquire();
        const view = await state.track(() => broker.session(params.id));
        checkSessionAgents(principal, params.id, sessionAgents(view));
        return view;
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/sessions/:id',
      operationId: 'closeSession',
      summary: 'Close a session: its summary goes to the audit log, its facts are retracted',
      description: 'Closing a session that is already closed does nothing (200).',
      tag: 'sessions',
      auth: 'key',
      params: sessionParamsSchema,
      responses: { 200: { description: 'the session is closed', schema: sessionClosedSchema } },
      handler: async ({ params, principal, request }) => {
        notesOf(request).sessionId = params.id;
        const broker = state.acquire();
        await state.track(async () => {
          const view = await broker.session(params.id);
          checkSessionAgents(principal, params.id, sessionAgents(view));
          await broker.closeSession(params.id);
        });
        return { session_id: params.id, status: 'closed' as const };
      },
    }),
  ];
}

/** Every agent that left a trace in the session. */
function sessionAgents(view: SessionView): Set<string> {
  const agents = new Set<string>(view.summary.agents);
  for (const e of view.exposures) agents.add(e.agent_id);
  return agents;
}
