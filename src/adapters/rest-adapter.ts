// REST source: a base URL, an allowlist of endpoints, scope as request parameters (= and IN
// only), JSON records back. Outbound safety: the target address is checked against the SSRF
// policy and pinned for the connection (pinned-http.ts), redirects are failures, responses are
// size-capped, and the records are checked against the scope that was sent.
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { connect as netConnect } from 'node:net';
import { AdapterFailure, toAdapterFailure } from './failure.ts';
import { type HostResolver, pinnedRequest, systemResolver, vetHost } from './pinned-http.ts';
import { type Endpoint, mapScope, parseBaseUrl, parseEndpoints } from './rest-endpoints.ts';
import { parseRecords, project, verifyScope } from './rest-records.ts';
import { requireScope } from './scope.ts';
import { type CommonSpec, resolveCommon, specError } from './spec.ts';
import type {
  Adapter,
  AdapterContext,
  AdapterHealth,
  AdapterIntent,
  AdapterResult,
  RestAuthSpec,
  ScopeConstraint,
  SourceSpec,
} from './types.ts';

/** Responses larger than this are refused (the row cap applies after parsing). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface RestAdapterOptions {
  /** Host name resolution (default: the OS resolver via dns.lookup). For tests and custom DNS. */
  readonly resolver?: HostResolver;
  readonly maxResponseBytes?: number;
}

const TLS_CODE_RE = /^(?:ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/;
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function authHeader(id: string, auth: RestAuthSpec | null | undefined): string | undefined {
  if (auth === undefined || auth === null || auth.type === 'none') return undefined;
  // Header values with control characters would be refused by Node at request time, or worse,
  // split a header; refuse them at configuration time instead.
  const printable = (s: string) => /^[\x20-\x7e]*$/.test(s);
  if (auth.type === 'bearer') {
    if (auth.token === '' || !/^[\x21-\x7e]+$/.test(auth.token))
      throw specError(id, 'auth.token', 'must be non-empty printable ASCII without spaces');
    return `Bearer ${auth.token}`;
  }
  if (auth.type === 'basic') {
    if (auth.username === '' || auth.username.includes(':') || !printable(auth.username))
      throw specError(id, 'auth.username', 'must be non-empty printable text without :');
    if ([...auth.password].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f))
      throw specError(id, 'auth.password', 'must not contain control characters');
    return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  }
  throw specError(id, 'auth.type', `must be none, bearer or basic`);
}

export class RestAdapter implements Adapter {
  readonly sourceId: string;
  private readonly spec: CommonSpec;
  private readonly base: URL;
  private readonly endpoints: readonly Endpoint[];
  private readonly allowPrivateNetwork: boolean;
  private readonly authorization: string | undefined;
  private readonly resolver: HostResolver;
  private readonly maxResponseBytes: number;
  private readonly agent: http.Agent;
  private closed = false;

  constructor(spec: SourceSpec, options: RestAdapterOptions = {}) {
    this.spec = resolveCommon(spec);
    this.sourceId = this.spec.id;
    this.base = parseBaseUrl(this.sourceId, this.spec.connection);
    this.endpoints = parseEndpoints(this.sourceId, this.base, spec.endpoints);
    this.allowPrivateNetwork = spec.allowPrivateNetwork === true;
    this.authorization = authHeader(this.sourceId, spec.auth);
    this.resolver = options.resolver ?? systemResolver;
    this.maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    const agentOptions = { keepAlive: true, maxSockets: 8 };
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent(agentOptions)
        : new http.Agent(agentOptions);
  }

  /** Checks the base host resolves to permitted addresses (no request is sent). */
  async connect(): Promise<void> {
    if (this.closed) throw new AdapterFailure('internal', this.sourceId, 'the adapter is closed');
    try {
      await vetHost(this.sourceId, this.base.hostname, this.allowPrivateNetwork, this.resolver);
    } catch (e) {
      throw toAdapterFailure(e, this.sourceId);
    }
  }

  async execute(
    intent: AdapterIntent,
    scope: readonly ScopeConstraint[],
    ctx: AdapterContext,
  ): Promise<AdapterResult> {
    try {
      if (this.closed) throw new AdapterFailure('internal', this.sourceId, 'the adapter is closed');
      const constraints = requireScope(
        scope,
        { id: this.sourceId, type: 'rest', allowedColumns: this.spec.allowedColumns },
        ctx.now(),
      );
      const mapped = mapScope(this.sourceId, this.endpoints, constraints);
      if (mapped.empty)
        return {
          records: [],
          truncated: false,
          scopeApplied: [
            ...mapped.applied,
            'no value satisfies every constraint on one field; the source was not called',
          ],
        };
      const records = await this.fetchRecords(intent, mapped.endpoint, mapped.values, ctx.signal);
      verifyScope(this.sourceId, records, mapped.values);
      const { maxRows } = this.spec;
      const truncated = records.length > maxRows;
      return {
        records: project(records.slice(0, maxRows), this.spec.allowedColumns),
        truncated,
        scopeApplied: mapped.applied,
      };
    } catch (e) {
      throw toAdapterFailure(e, this.sourceId);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
  }

  /** The host is permitted and accepts a TCP connection within the timeout. */
  async health(): Promise<AdapterHealth> {
    try {
      if (this.closed)
        return { ok: false, detail: `source ${this.sourceId}: the adapter is closed` };
      const addresses = await vetHost(
        this.sourceId,
        this.base.hostname,
        this.allowPrivateNetwork,
        this.resolver,
      );
      const port = Number(this.base.port || (this.base.protocol === 'https:' ? 443 : 80));
      await this.tcpProbe(addresses[0]!, port);
      return { ok: true };
    } catch (e) {
      return { ok: false, detail: toAdapterFailure(e, this.sourceId).message };
    }
  }

  private tcpProbe(addr: LookupAddress, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const sock = netConnect({ host: addr.address, port, family: addr.family });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(
          new AdapterFailure('timeout', this.sourceId, 'no TCP connection within the timeout'),
        );
      }, this.spec.timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.destroy();
        resolve();
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(this.networkFailure(e));
      });
    });
  }

  private async fetchRecords(
    intent: AdapterIntent,
    endpoint: Endpoint,
    values: ReadonlyMap<string, readonly string[]>,
    callerSignal: AbortSignal,
  ): Promise<Record<string, unknown>[]> {
    const id = this.sourceId;
    const timeoutMs = this.spec.timeoutMs;
    if (callerSignal.aborted) throw new AdapterFailure('timeout', id, 'the request was cancelled');
    const url = new URL(this.base.href);
    url.pathname = `${this.base.pathname}${endpoint.path}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'accept-encoding': 'identity',
      'user-agent': 'nautilus',
      'x-nautilus-request-id': intent.requestId.replace(/[^\x21-\x7e]/g, ''),
    };
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    let body: string | undefined;
    if (endpoint.method === 'GET') {
      for (const [k, vs] of values) for (const v of vs) url.searchParams.append(k, v);
    } else {
      const obj = Object.fromEntries(
        [...values].map(([k, vs]) => [k, vs.length === 1 ? vs[0] : vs]),
      );
      body = JSON.stringify(obj);
      headers['content-type'] = 'application/json';
    }

    // One deadline for resolution, connection, headers and body.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const onCallerAbort = () => deadline.abort();
    callerSignal.addEventListener('abort', onCallerAbort, { once: true });
    const why = () =>
      callerSignal.aborted
        ? new AdapterFailure('timeout', id, 'the request was cancelled before the response arrived')
        : new AdapterFailure('timeout', id, `no complete response within ${timeoutMs} ms`);
    try {
      const addresses = await Promise.race([
        vetHost(id, url.hostname, this.allowPrivateNetwork, this.resolver),
        new Promise<never>((_, reject) =>
          deadline.signal.addEventListener('abort', () => reject(why()), { once: true }),
        ),
      ]);
      const res = await pinnedRequest(id, {
        url,
        method: endpoint.method,
        headers,
        ...(body === undefined ? {} : { body }),
        addresses,
        agent: this.agent,
        signal: deadline.signal,
        maxBytes: this.maxResponseBytes,
      }).catch((e: unknown) => {
        if (deadline.signal.aborted) throw why();
        throw e instanceof AdapterFailure ? e : this.networkFailure(e);
      });
      if (res.status >= 300 && res.status <= 399)
        throw new AdapterFailure(
          'redirect_blocked',
          id,
          `the upstream answered ${res.status} (a redirect); redirects are never followed`,
          { detail: { status: res.status } },
        );
      if (res.body === undefined)
        throw new AdapterFailure(
          'upstream_status',
          id,
          `the upstream answered HTTP ${res.status}`,
          {
            detail: { status: res.status },
          },
        );
      return parseRecords(id, res.headers['content-type'], res.body);
    } finally {
      clearTimeout(timer);
      callerSignal.removeEventListener('abort', onCallerAbort);
    }
  }

  private networkFailure(e: unknown): AdapterFailure {
    const code = (e as { code?: unknown } | null)?.code;
    const c = typeof code === 'string' ? code : '';
    if (TLS_CODE_RE.test(c))
      return new AdapterFailure('connection', this.sourceId, `TLS verification failed (${c})`, {
        cause: e,
      });
    if (c.startsWith('HPE_'))
      return new AdapterFailure(
        'invalid_response',
        this.sourceId,
        `malformed HTTP response (${c})`,
        {
          cause: e,
        },
      );
    return new AdapterFailure(
      'connection',
      this.sourceId,
      NET_CODES.has(c)
        ? `cannot reach the upstream (${c})`
        : 'the connection to the upstream failed',
      { cause: e },
    );
  }
}
