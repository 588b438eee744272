// HTTP(S) requests to an address that was checked against the SSRF policy, with no window between
// the check and the connection. Node 20's fetch (undici) resolves the host name itself when it
// connects and has no lookup hook short of installing undici as a dependency, so a host could
// resolve to a public address for the check and to 127.0.0.1 for the connection (DNS rebinding).
// Here the name is resolved once (`dns.lookup`, all addresses), every address is checked, and the
// socket is opened through a `lookup` function that hands back exactly the checked addresses.
// TLS still verifies the certificate against the host name (SNI and identity use `host`).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { AdapterFailure } from './failure.ts';
import { type AddressCategory, classifyAddress, isBlockedCategory } from './ip-policy.ts';

/** Resolves a host name to every address it has (the default uses the OS resolver). */
export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: HostResolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    );
  });

const CATEGORY_TEXT: Record<AddressCategory, string> = {
  public: 'a public',
  loopback: 'a loopback',
  private: 'a private-network',
  'link-local': 'a link-local',
  cgnat: 'a carrier-grade NAT (100.64.0.0/10)',
  reserved: 'a reserved or documentation',
  unspecified: 'an unspecified (0.0.0.0 / ::)',
  multicast: 'a multicast',
  broadcast: 'a broadcast',
  metadata: 'a cloud instance-metadata',
};

function blocked(sourceId: string, host: string, cat: AddressCategory, via: string, addr: string) {
  const always = isBlockedCategory(cat, true);
  return new AdapterFailure(
    'ssrf_blocked',
    sourceId,
    `refused to connect: ${host} ${via} ${CATEGORY_TEXT[cat]} address` +
      (always ? ', which is never allowed' : ' (set allow_private_network to allow it)'),
    { detail: { host, category: cat }, cause: { address: addr } },
  );
}

/**
 * The addresses `hostname` may be reached at, all of them checked; throws `ssrf_blocked` when the
 * host is, or resolves to, any refused address (one bad answer refuses the host: a resolver can
 * rotate answers between calls).
 */
export async function vetHost(
  sourceId: string,
  urlHostname: string,
  allowPrivateNetwork: boolean,
  resolver: HostResolver,
): Promise<LookupAddress[]> {
  const host = urlHostname.startsWith('[') ? urlHostname.slice(1, -1) : urlHostname;
  const literal = classifyAddress(host);
  if (literal !== undefined) {
    if (isBlockedCategory(literal, allowPrivateNetwork))
      throw blocked(sourceId, host, literal, 'is', host);
    return [{ address: host, family: host.includes(':') ? 6 : 4 }];
  }
  let addresses: LookupAddress[];
  try {
    addresses = await resolver(host);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new AdapterFailure(
      'connection',
      sourceId,
      `cannot resolve host ${host} (${typeof code === 'string' ? code : 'error'})`,
      { cause: e },
    );
  }
  if (addresses.length === 0)
    throw new AdapterFailure('connection', sourceId, `host ${host} has no addresses`);
  for (const a of addresses) {
    const cat = classifyAddress(a.address);
    if (cat === undefined)
      throw new AdapterFailure(
        'ssrf_blocked',
        sourceId,
        `host ${host} resolved to a non-IP answer`,
      );
    if (isBlockedCategory(cat, allowPrivateNetwork))
      throw blocked(sourceId, host, cat, 'resolves to', a.address);
  }
  return addresses;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for http.request that answers only with the vetted addresses. */
export function pinnedLookup(addresses: readonly LookupAddress[]) {
  return (
    _hostname: string,
    options: { family?: number | string; all?: boolean },
    cb: LookupCallback,
  ) => {
    const fam = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const usable = addresses.filter((a) => fam === undefined || fam === 0 || a.family === fam);
    if (usable.length === 0) {
      const err: NodeJS.ErrnoException = new Error('no vetted address of the requested family');
      err.code = 'ENOTFOUND';
      cb(err, '', 0);
    } else if (options.all) cb(null, usable);
    else cb(null, usable[0]!.address, usable[0]!.family);
  };
}

export interface PinnedRequest {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly addresses: readonly LookupAddress[];
  readonly agent: http.Agent;
  readonly signal: AbortSignal;
  readonly maxBytes: number;
}

export interface PinnedResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Undefined for non-2xx answers (their bodies are not read). */
  readonly body?: Buffer;
}

/**
 * One request; redirects are never followed (the caller sees the 3xx status). Rejects with the
 * raw Node error (the caller classifies it), or with `invalid_response` past `maxBytes`.
 */
export function pinnedRequest(sourceId: string, r: PinnedRequest): Promise<PinnedResponse> {
  return new Promise((resolve, reject) => {
    const lib = r.url.protocol === 'https:' ? https : http;
    const host = r.url.hostname.startsWith('[') ? r.url.hostname.slice(1, -1) : r.url.hostname;
    const req = lib.request(
      {
        method: r.method,
        protocol: r.url.protocol,
        host,
        port: r.url.port === '' ? undefined : Number(r.url.port),
        path: `${r.url.pathname}${r.url.search}`,
        headers: r.headers,
        agent: r.agent,
        lookup: pinnedLookup(r.addresses) as never,
        signal: r.signal,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          res.resume();
          req.destroy();
          resolve({ status, headers: res.headers });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > r.maxBytes) {
            req.destroy();
            reject(
              new AdapterFailure(
                'invalid_response',
                sourceId,
                `the response is larger than ${r.maxBytes} bytes`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(chunks) }));
        const cut = (cause?: unknown) =>
          reject(
            new AdapterFailure(
              'connection',
              sourceId,
              'the connection closed before the response was complete',
              cause === undefined ? {} : { cause },
            ),
          );
        res.on('error', cut);
        res.on('close', () => {
          if (!res.complete) cut();
        });
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}
