// Where a source's data lives, without anything secret: no passwords, tokens, query strings or
// full file paths. Used for the public source list (GET /v1/sources) and log lines.
import { basename } from 'node:path';
import type { SourceConfig } from '../../config/index.ts';

/** `postgres://host:5432/db` from a URL or `host=... port=... dbname=...` from key=value DSNs. */
export function redactPostgresDsn(dsn: string): string {
  if (/^postgres(ql)?:\/\//i.test(dsn)) {
    try {
      const url = new URL(dsn);
      return `${url.protocol}//${url.host}${url.pathname}`;
    } catch {
      return 'postgres (unparsable connection string)';
    }
  }
  // libpq key=value form: keep only the keys that say where, never password/sslkey/etc.
  const kept: string[] = [];
  for (const m of dsn.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
    const key = m[1]!.toLowerCase();
    if (key === 'host' || key === 'hostaddr' || key === 'port' || key === 'dbname')
      kept.push(`${key}=${m[2]}`);
  }
  return kept.length > 0 ? kept.join(' ') : 'postgres';
}

/** Base URL without credentials, query or fragment. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'rest (unparsable URL)';
  }
}

export function publicLocation(source: SourceConfig): string {
  switch (source.type) {
    case 'sqlite':
      return source.connection === ':memory:'
        ? 'sqlite::memory:'
        : `sqlite:${basename(source.connection)}`;
    case 'postgres':
      return redactPostgresDsn(source.connection);
    case 'rest':
      return redactUrl(source.connection);
  }
}
