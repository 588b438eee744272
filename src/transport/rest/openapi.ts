// /openapi.json: an OpenAPI 3.1 document generated from the route table, with request schemas
// converted from the same zod schemas the handlers validate with (z.toJSONSchema, input side,
// so optional-with-default fields are optional). Error answers follow from each route's inputs
// and auth: 400 for validated inputs, 401/403 for keyed routes, 503 while not ready, 500 always.
import { z } from 'zod';
import type { RouteSpec } from './route-spec.ts';
import { errorSchema } from './schemas.ts';

type Json = Record<string, unknown>;

export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Json;
  return rest;
}

/** `/v1/sessions/:id` -> `/v1/sessions/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)/g, '{$1}');
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const errorAnswer = (description: string) => ({
  description,
  content: { 'application/json': { schema: ERROR_REF } },
});

export function openApiDocument(routes: readonly RouteSpec[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const path = openApiPath(r.path);
    paths[path] ??= {};
    (paths[path] as Record<string, Json>)[r.method.toLowerCase()] = operation(r);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Nautilus',
      version,
      description:
        'Policy-first data broker for AI agents. Every route except /healthz and /readyz (and /metrics with api.public_metrics) needs an API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`.',
    },
    paths,
    components: {
      schemas: { Error: jsonSchemaOf(errorSchema, 'output') },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API key from api.keys' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}

function operation(r: RouteSpec): Json {
  const responses: Json = {};
  for (const [status, spec] of Object.entries(r.responses)) {
    responses[status] = {
      description: spec.description,
      ...(spec.schema !== undefined
        ? { content: { 'application/json': { schema: jsonSchemaOf(spec.schema, 'output') } } }
        : spec.contentType !== undefined
          ? { content: { [spec.contentType]: { schema: { type: 'string' } } } }
          : {}),
    };
  }
  if (r.body !== undefined || r.params !== undefined || r.query !== undefined)
    responses['400'] = errorAnswer('invalid input (NAU_REQUEST_INVALID, naming the field)');
  if (r.auth === 'key') {
    responses['401'] = errorAnswer('no or wrong API key (NAU_AUTH_REQUIRED, NAU_AUTH_INVALID)');
    responses['403'] = errorAnswer('the key may not act as this agent (NAU_AUTH_AGENT_FORBIDDEN)');
  }
  if (r.path.startsWith('/v1/')) {
    if (r.params !== undefined) responses['404'] = errorAnswer('no such resource');
    if (r.body !== undefined) responses['413'] = errorAnswer('body larger than the limit');
    responses['503'] = errorAnswer('starting or shutting down (NAU_NOT_READY, NAU_SHUTTING_DOWN)');
  }
  responses['500'] = errorAnswer('internal error (NAU_INTERNAL; details only in the log)');
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description === undefined ? {} : { description: r.description }),
    tags: [r.tag],
    security: r.auth === 'key' ? [{ bearer: [] }, { apiKey: [] }] : [],
    ...(parameters(r).length === 0 ? {} : { parameters: parameters(r) }),
    ...(r.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchemaOf(r.body) } },
          },
        }),
    responses,
  };
}

function parameters(r: RouteSpec): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', r.params],
    ['query', r.query],
  ] as const) {
    if (schema === undefined) continue;
    const js = jsonSchemaOf(schema);
    const required = new Set((js.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries((js.properties as Record<string, Json>) ?? {})) {
      const { description, ...propSchema } = prop;
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: propSchema,
      });
    }
  }
  return out;
}
