// REST endpoint allowlist and the mapping of a scope onto it. A REST API can only be trusted to
// filter on parameters it documents, so a constraint maps to a request parameter only when the
// operator is `=` or `IN` and the endpoint lists the parameter; anything else is refused
// (NAU_SCOPE_UNSUPPORTED), never sent unfiltered.
import { AdapterFailure } from './failure.ts';
import { REST_FIELD_MAX, REST_FIELD_RE } from './identifiers.ts';
import type { CheckedConstraint } from './scope.ts';
import { specError } from './spec.ts';
import type { RestEndpointSpec, ScopeScalar } from './types.ts';

export interface Endpoint {
  readonly path: string;
  readonly method: 'GET' | 'POST';
  readonly params: ReadonlySet<string>;
}

/** The base URL, checked: http(s), no credentials, query or fragment; path without trailing `/`. */
export function parseBaseUrl(id: string, connection: string): URL {
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw specError(id, 'connection', 'is not a URL (expected http:// or https://...)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw specError(id, 'connection', `must be an http or https URL, got ${url.protocol}//`);
  if (url.username !== '' || url.password !== '')
    throw specError(id, 'connection', 'must not carry credentials; use auth');
  if (url.search !== '' || url.hash !== '')
    throw specError(id, 'connection', 'must not have a query string or fragment');
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

export function parseEndpoints(
  id: string,
  base: URL,
  endpoints: readonly RestEndpointSpec[] | null | undefined,
): Endpoint[] {
  if (endpoints === undefined || endpoints === null || endpoints.length === 0)
    throw specError(id, 'endpoints', 'a rest source needs at least one endpoint');
  const seen = new Set<string>();
  return endpoints.map((e, i) => {
    const key = `endpoints[${i}]`;
    const method = e.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST')
      throw specError(id, `${key}.method`, `must be GET or POST, got ${String(method)}`);
    const path = e.path;
    if (typeof path !== 'string' || !path.startsWith('/'))
      throw specError(id, `${key}.path`, 'must start with /');
    if (/[?#\\%]|\/\/|(^|\/)\.\.?(\/|$)/.test(path) || /[^\x21-\x7e]/.test(path))
      throw specError(
        id,
        `${key}.path`,
        'must be a plain path: no query, fragment, backslash, %-escape, empty, . or .. segment',
      );
    // The joined URL must stay on the base origin with the path exactly as written.
    const joined = new URL(base.href);
    joined.pathname = `${base.pathname}${path}`;
    if (joined.origin !== base.origin || joined.pathname !== `${base.pathname}${path}`)
      throw specError(id, `${key}.path`, 'does not stay under the base URL');
    const params = new Set<string>();
    for (const p of e.queryParams ?? []) {
      if (typeof p !== 'string' || p.length > REST_FIELD_MAX || !REST_FIELD_RE.test(p))
        throw specError(id, `${key}.query_params`, `${JSON.stringify(p)} is not a plain name`);
      params.add(p);
    }
    if (seen.has(`${method} ${path}`))
      throw specError(id, key, `endpoint ${method} ${path} is listed twice`);
    seen.add(`${method} ${path}`);
    return { path, method, params };
  });
}

export interface RestScope {
  readonly endpoint: Endpoint;
  /** Allowed values per parameter (the intersection of every constraint on it), as strings. */
  readonly values: ReadonlyMap<string, readonly string[]>;
  /** A parameter whose constraints no value satisfies: the scope matches nothing. */
  readonly empty: boolean;
  readonly applied: string[];
}

function unsupported(id: string, c: CheckedConstraint, problem: string): AdapterFailure {
  return new AdapterFailure(
    'scope_rejected',
    id,
    `scope[${c.index}] (field ${JSON.stringify(c.field)}${c.rule === undefined ? '' : `, rule ${c.rule}`}): ${problem}`,
    {
      code: 'NAU_SCOPE_UNSUPPORTED',
      status: 400,
      detail: { constraint: c.index, field: c.field, operator: c.operator },
    },
  );
}

/**
 * Picks the first endpoint (config order) that accepts every constrained field as a parameter,
 * and folds the constraints into one allowed-value list per parameter.
 */
export function mapScope(
  id: string,
  endpoints: readonly Endpoint[],
  constraints: readonly CheckedConstraint[],
): RestScope {
  for (const c of constraints)
    if (c.operator !== '=' && c.operator !== 'IN')
      throw unsupported(
        id,
        c,
        `operator ${c.operator} cannot be sent to a REST source (only = and IN map to parameters)`,
      );
  const fields = [...new Set(constraints.map((c) => c.field))];
  const endpoint = endpoints.find((e) => fields.every((f) => e.params.has(f)));
  if (endpoint === undefined) {
    const first = constraints.find((c) => !endpoints.some((e) => e.params.has(c.field)));
    throw first !== undefined
      ? unsupported(id, first, 'no endpoint of this source lists the field in query_params')
      : new AdapterFailure(
          'scope_rejected',
          id,
          `no single endpoint accepts every scoped field (${fields.join(', ')}) as a parameter`,
          { code: 'NAU_SCOPE_UNSUPPORTED', status: 400, detail: { fields } },
        );
  }
  const values = new Map<string, string[]>();
  const where = endpoint.method === 'GET' ? 'query parameter' : 'body field';
  const applied: string[] = [];
  for (const c of constraints) {
    const mine = [...new Set(c.values.map((v: ScopeScalar) => String(v)))];
    const prev = values.get(c.field);
    values.set(c.field, prev === undefined ? mine : prev.filter((v) => mine.includes(v)));
    applied.push(`${c.field} ${c.operator} [${c.values.map(String).join(', ')}] (${where})`);
  }
  const empty = [...values.values()].some((v) => v.length === 0);
  return { endpoint, values, empty, applied };
}
