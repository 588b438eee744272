// Checks `nautilus serve` makes before it starts anything: the --bind value, whether an address
// is loopback, and `--air-gapped` (nothing in the config may reach outside this host).
import { isIP } from 'node:net';
import type { LoadedConfig } from '../config/index.ts';

export interface Bind {
  readonly host: string;
  readonly port: number;
}

/** `host:port`, `[v6]:port` or `:port` (host from `fallbackHost`); null when malformed. */
export function parseBind(value: string, fallbackHost: string): Bind | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (m === null) return null;
  const port = Number(m[3]);
  if (port > 65_535) return null;
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? fallbackHost : host, port };
}

/** True for names and addresses that can only reach this host. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    if (h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

/**
 * What in the config would reach outside this host: REST sources and PostgreSQL (sources and
 * the session store) on a host that is not loopback or a Unix socket. Host names other than
 * localhost count as outside (resolving them could itself leave the host).
 */
export function airGapProblems(
  config: LoadedConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string[] {
  const out: string[] = [];
  for (const s of config.sources) {
    if (s.type === 'rest') {
      const host = urlHost(s.connection);
      if (host === null || !isLoopbackHost(host))
        out.push(`sources ${s.id}: rest source on ${host ?? 'an unparsable URL'}`);
    } else if (s.type === 'postgres') {
      for (const h of postgresHosts(s.connection, env))
        out.push(`sources ${s.id}: postgres source on ${h}`);
    }
  }
  if (config.session_store.backend === 'postgres' && config.session_store.dsn !== null)
    for (const h of postgresHosts(config.session_store.dsn, env))
      out.push(`session_store: postgres on ${h}`);
  return out;
}

function urlHost(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}

/** The non-local hosts a connection string names (URL or key=value form); without a host the
 *  driver uses PGHOST, else localhost. */
function postgresHosts(dsn: string, env: Readonly<Record<string, string | undefined>>): string[] {
  const hosts: string[] = [];
  if (/^postgres(ql)?:\/\//i.test(dsn)) {
    // A URL may list several hosts (`h1:5432,h2:5432`), which URL() does not parse.
    const authority = /^postgres(?:ql)?:\/\/(?:[^@/?#]*@)?([^/?#]*)/i.exec(dsn)?.[1] ?? '';
    for (const part of authority.split(',')) {
      const host = decodeURIComponent(part.replace(/:\d*$/, '').replace(/^\[|\]$/g, ''));
      if (host !== '') hosts.push(host);
    }
    const query = dsn.includes('?') ? new URLSearchParams(dsn.slice(dsn.indexOf('?') + 1)) : null;
    for (const key of ['host', 'hostaddr'])
      for (const v of query?.getAll(key) ?? []) hosts.push(...v.split(','));
  } else {
    for (const m of dsn.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
      const key = m[1]!.toLowerCase();
      if (key === 'host' || key === 'hostaddr')
        hosts.push(...m[2]!.replace(/^'|'$/g, '').split(','));
    }
  }
  if (!hosts.some((h) => h !== '')) hosts.push(...(env.PGHOST ?? '').split(','));
  // A path is a Unix socket: local.
  return hosts.filter((h) => h !== '' && !h.startsWith('/') && !isLoopbackHost(h));
}
