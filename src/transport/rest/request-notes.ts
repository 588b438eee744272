// What a request turned out to be about (its agent and session), noted by the handlers for the
// request's log line; kept beside the request rather than on it.
import type { FastifyRequest } from 'fastify';
import type { Principal } from './auth.ts';

export interface RequestNotes {
  principal?: Principal;
  /** The caller's context.request_id, which then names the request everywhere. */
  requestId?: string;
  agentId?: string;
  sessionId?: string;
}

const notes = new WeakMap<FastifyRequest, RequestNotes>();

export function notesOf(request: FastifyRequest): RequestNotes {
  let n = notes.get(request);
  if (n === undefined) {
    n = {};
    notes.set(request, n);
  }
  return n;
}
