// Session state <-> JSON text. Every backend stores exactly what JSON.stringify produces and
// hands back JSON.parse of it, so the three behave alike (undefined properties vanish, Dates
// become strings). Text PostgreSQL's jsonb cannot hold — U+0000 and unpaired surrogates — is
// refused in every backend, naming the offending path, rather than failing only on PostgreSQL.
import { corruptRow, invalidSave } from './errors.ts';

/** The state as JSON text; NAU_STORE_INVALID when it is not storable. */
export function stateToJson(sessionId: string, state: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(state);
  } catch (e) {
    // Cycles and BigInt; the message names the constructor, never a value.
    const why = e instanceof Error ? e.message.split('\n')[0] : 'not serializable';
    throw invalidSave(sessionId, 'state', `is not JSON-serializable (${why})`);
  }
  if (json === undefined)
    throw invalidSave(
      sessionId,
      'state',
      'is not JSON-serializable (undefined, function or symbol)',
    );
  // Cheap screen on the output: NUL and lone surrogates are always escaped there as \u0000 and
  // \udXXX. A hit may be a false alarm (an escaped backslash before "u0000"), so walk to be sure.
  if (/\\u(?:0000|d[89a-f])/.test(json)) {
    const path = findUnstorableText(state, 'state', new Set());
    if (path !== undefined)
      throw invalidSave(
        sessionId,
        path,
        'holds text the stores cannot keep (U+0000 or an unpaired UTF-16 surrogate)',
      );
  }
  return json;
}

/**
 * The record a save returns: `meta` plus the state as stored, parsed from `json` on first read.
 * Callers rarely read it back (the SessionManager keeps the facts it saved), and parsing a long
 * session's state on every save was a measurable share of WAL recovery.
 */
export function savedRecord<M extends object>(
  meta: M,
  sessionId: string,
  json: string,
): M & { readonly state: unknown } {
  let parsed: { value: unknown } | null = null;
  return Object.defineProperty({ ...meta }, 'state', {
    enumerable: true,
    get: () => {
      parsed ??= { value: stateFromJson(sessionId, json) };
      return parsed.value;
    },
  }) as M & { readonly state: unknown };
}

/** Parses stored JSON text; NAU_STORE_CORRUPT when it is not JSON. */
export function stateFromJson(sessionId: string, json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (e) {
    throw corruptRow(sessionId, 'state is not valid JSON', e);
  }
}

const BAD_TEXT = /\0|\p{Cs}/u;

function findUnstorableText(value: unknown, path: string, seen: Set<object>): string | undefined {
  if (typeof value === 'string') return BAD_TEXT.test(value) ? path : undefined;
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === 'function') return findUnstorableText(json.call(value), path, seen);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findUnstorableText(value[i], `${path}[${i}]`, seen);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const at = `${path}[${JSON.stringify(key)}]`;
    if (BAD_TEXT.test(key)) return `${at} (the key)`;
    const hit = findUnstorableText(v, at, seen);
    if (hit !== undefined) return hit;
  }
  return undefined;
}
