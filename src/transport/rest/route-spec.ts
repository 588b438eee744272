// One table describes every route: method, path, who may call it, the zod schemas of its
// inputs, its answers and its handler. The app registers routes from the table (validating
// inputs with the schemas) and /openapi.json is generated from the same table.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Principal } from './auth.ts';

/** public: no key (probes); key: an API key is required. */
export type AuthPolicy = 'public' | 'key';

export interface ResponseSpec {
  readonly description: string;
  /** JSON body schema (documentation); absent for non-JSON answers. */
  readonly schema?: z.ZodType;
  /** Content type of a non-JSON answer, e.g. Prometheus text. */
  readonly contentType?: string;
}

export interface RouteContext<B, P, Q> {
  readonly body: B;
  readonly params: P;
  readonly query: Q;
  readonly principal: Principal;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

interface RouteDefinition<B, P, Q> {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** fastify syntax: `/v1/sessions/:id`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly auth: AuthPolicy;
  readonly body?: B;
  readonly params?: P;
  readonly query?: Q;
  /** Success answers (error answers are added to the document from the route's inputs). */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Returns the JSON body (or sends through `reply` itself and returns the reply). */
  readonly handler: (ctx: RouteContext<Out<B>, Out<P>, Out<Q>>) => unknown;
}

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly auth: AuthPolicy;
  readonly body?: z.ZodType;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly handler: (ctx: RouteContext<unknown, unknown, unknown>) => unknown;
}

export function defineRoute<
  B extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
>(def: RouteDefinition<B, P, Q>): RouteSpec {
  return def as unknown as RouteSpec;
}
