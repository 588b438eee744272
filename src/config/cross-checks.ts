// Rules that span several keys or sections: unique ids, a postgres store needs a dsn, async
// persistence needs the WAL, API keys may only name agents that can exist. They read the raw
// data defensively and run even when other parts of the file are invalid, so one pass reports
// everything; values that are malformed are left to the schema's own problems.
import { createHash } from 'node:crypto';
import { type ConfigPath, formatPath } from './problems.ts';
import { didYouMean } from './suggest.ts';

export interface CrossProblem {
  readonly path: ConfigPath;
  readonly message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reports the second and later entries whose `key` repeats an earlier one. */
function duplicates(
  items: unknown[],
  listPath: ConfigPath,
  key: string,
  what: string,
  out: CrossProblem[],
) {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const id = str(obj(item)[key]);
    if (id === undefined) return;
    const j = first.get(id);
    if (j === undefined) first.set(id, i);
    else
      out.push({
        path: [...listPath, i, key],
        message: `duplicate ${what} ${id} (already used by ${formatPath([...listPath, j])})`,
      });
  });
}

function sessionStore(root: Obj, out: CrossProblem[]) {
  const store = obj(root.session_store);
  const backend = str(store.backend) ?? 'sqlite';
  const has = (k: string) => store[k] !== undefined && store[k] !== null;
  if (backend === 'postgres' && !has('dsn'))
    out.push({
      path: ['session_store', 'dsn'],
      message: 'backend postgres needs a dsn (e.g. postgres://user@host/db)',
    });
  if (backend !== 'postgres' && has('dsn'))
    out.push({
      path: ['session_store', 'dsn'],
      message: `dsn is only used by backend postgres, but backend is ${backend}`,
    });
  if (backend !== 'sqlite' && has('path'))
    out.push({
      path: ['session_store', 'path'],
      message: `path is only used by backend sqlite, but backend is ${backend}`,
    });
}

function persistence(root: Obj, out: CrossProblem[]) {
  const p = obj(root.persistence);
  if (p.mode === 'async' && p.wal_enabled !== true && p.accept_async_loss !== true)
    out.push({
      path: ['persistence', 'mode'],
      message:
        'async persistence answers before the session store has the change; without the WAL a crash loses it: set persistence.wal_enabled: true, use mode synchronous, or accept the loss window explicitly with accept_async_loss: true',
    });
  const segment = typeof p.wal_segment_bytes === 'number' ? p.wal_segment_bytes : 64 * 1024 * 1024;
  if (typeof p.wal_max_bytes === 'number' && p.wal_max_bytes < segment)
    out.push({
      path: ['persistence', 'wal_max_bytes'],
      message: `must be at least wal_segment_bytes (${segment})`,
    });
}

const keyDigest = (k: Obj): string | undefined => {
  const plain = str(k.key);
  if (plain !== undefined) return createHash('sha256').update(plain).digest('hex');
  return str(k.key_sha256)?.toLowerCase();
};

/** Repeated key ids and repeated secrets in a list of API keys at `listPath`. */
export function apiKeyDuplicates(keys: unknown, listPath: ConfigPath): CrossProblem[] {
  const out: CrossProblem[] = [];
  const items = arr(keys);
  duplicates(items, listPath, 'id', 'key id', out);
  // The same secret under two ids would make the caller's identity ambiguous.
  const seen = new Map<string, number>();
  items.forEach((k, i) => {
    const digest = keyDigest(obj(k));
    if (digest === undefined) return;
    const j = seen.get(digest);
    if (j === undefined) seen.set(digest, i);
    else
      out.push({
        path: [...listPath, i],
        message: `the same key as ${formatPath([...listPath, j])}`,
      });
  });
  return out;
}

function apiKeys(root: Obj, out: CrossProblem[]) {
  const keys = arr(obj(root.api).keys);
  out.push(...apiKeyDuplicates(keys, ['api', 'keys']));
  // A key bound to an agent that can never be resolved is a mistake, not a policy.
  const agents = obj(root.agents);
  if (agents.allow_unregistered === true) return;
  const registered = arr(agents.registered)
    .map((a) => str(obj(a).id))
    .filter((id): id is string => id !== undefined);
  keys.forEach((k, i) => {
    arr(obj(k).agents).forEach((a, j) => {
      if (typeof a !== 'string' || a === '*' || registered.includes(a)) return;
      out.push({
        path: ['api', 'keys', i, 'agents', j],
        message: `agent ${a} is not in agents.registered and agents.allow_unregistered is false${didYouMean(a, registered)}`,
      });
    });
  });
}

/** keyword_map entries must name a data type some source has (else they are dead, or a typo). */
function keywordMap(root: Obj, out: CrossProblem[]) {
  const types = new Set<string>();
  for (const s of arr(root.sources))
    for (const t of arr(obj(s).data_types)) if (typeof t === 'string') types.add(t);
  for (const name of Object.keys(obj(obj(root.analysis).keyword_map)))
    if (!types.has(name))
      out.push({
        path: ['analysis', 'keyword_map', name],
        message: `no source has data type ${name}${didYouMean(name, types)}`,
      });
}

export function crossChecks(data: unknown): CrossProblem[] {
  if (!isObj(data)) return [];
  const out: CrossProblem[] = [];
  duplicates(arr(data.sources), ['sources'], 'id', 'source id', out);
  duplicates(arr(obj(data.agents).registered), ['agents', 'registered'], 'id', 'agent id', out);
  sessionStore(data, out);
  persistence(data, out);
  apiKeys(data, out);
  keywordMap(data, out);
  return out;
}
