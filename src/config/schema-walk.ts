// Looks up the schema that governs a config path, for two jobs the validator cannot do alone:
// suggesting the right key for a misspelled one, and typing values that came from environment
// variables (`port: ${PORT}` must become a number). Reads zod's public `def` objects.
import type * as z from 'zod';
import type { ConfigPath } from './problems.ts';

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
  getter?: () => z.ZodType;
};

const defOf = (s: z.ZodType): Def => (s as unknown as { def: Def }).def;

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch']);

/** Strips wrappers (optional, default, preprocess pipes...) down to the schema that does the work. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let guard = 0; guard < 32; guard++) {
    const d = defOf(s);
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in && d.out)
      s = defOf(d.in).type === 'transform' ? d.out : d.in;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else return s;
  }
  return s;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The literal values of a union option's discriminator key. */
function discriminatorValues(option: z.ZodType, key: string): unknown[] {
  const shape = defOf(unwrap(option)).shape;
  const d = shape?.[key];
  return d ? (defOf(unwrap(d)).values ?? []) : [];
}

/** Picks the option of a discriminated union that the data selects (undefined when none). */
function chooseOption(union: z.ZodType, data: unknown): z.ZodType | undefined {
  const d = defOf(union);
  if (d.discriminator === undefined || !isRecord(data)) return undefined;
  const value = data[d.discriminator];
  return d.options?.find((o) => discriminatorValues(o, d.discriminator!).includes(value));
}

/** The schema at `path` (data guides the choice inside discriminated unions). */
export function schemaAt(root: z.ZodType, path: ConfigPath, data: unknown): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(root);
  let value = data;
  for (const seg of path) {
    if (s === undefined) return undefined;
    let d = defOf(s);
    if (d.type === 'union') {
      s = chooseOption(s, value);
      if (s === undefined) return undefined;
      s = unwrap(s);
      d = defOf(s);
    }
    if (d.type === 'object') s = d.shape?.[String(seg)];
    else if (d.type === 'array') s = d.element;
    else if (d.type === 'record') s = d.valueType;
    else return undefined;
    value =
      isRecord(value) || Array.isArray(value) ? (value as Record<string, unknown>)[seg] : undefined;
    s = s === undefined ? undefined : unwrap(s);
  }
  if (s !== undefined && defOf(s).type === 'union') {
    const chosen = chooseOption(s, value);
    if (chosen) return unwrap(chosen);
  }
  return s;
}

export interface KeyCandidates {
  /** Keys the mapping at the path accepts. */
  readonly keys: readonly string[];
  /** Keys only other variants accept (`endpoints` on a sqlite source), with those variants. */
  readonly elsewhere: ReadonlyMap<string, readonly string[]>;
  /** The discriminator key of the union the mapping belongs to (`type`), if any. */
  readonly discriminator?: string;
}

/** The keys a mapping at `path` may hold, for "did you mean" hints on unknown keys. */
export function keysAt(root: z.ZodType, path: ConfigPath, data: unknown): KeyCandidates {
  const parent = schemaAt(root, path.slice(0, -1), data);
  const last = path.at(-1);
  let holder: z.ZodType | undefined;
  if (path.length === 0) holder = unwrap(root);
  else if (parent !== undefined) {
    const d = defOf(parent);
    if (d.type === 'object') holder = d.shape?.[String(last)];
    else if (d.type === 'array') holder = d.element;
    else if (d.type === 'record') holder = d.valueType;
    holder = holder === undefined ? undefined : unwrap(holder);
  }
  if (holder === undefined) return { keys: [], elsewhere: new Map() };
  const hd = defOf(holder);
  if (hd.type !== 'union') return { keys: Object.keys(hd.shape ?? {}), elsewhere: new Map() };
  // A discriminated union: the chosen variant's keys, and which variants own the others.
  const value = valueAt(data, path);
  const chosen = chooseOption(holder, value);
  const keys = chosen ? Object.keys(defOf(unwrap(chosen)).shape ?? {}) : [];
  const elsewhere = new Map<string, string[]>();
  for (const option of hd.options ?? []) {
    const names = discriminatorValues(option, hd.discriminator ?? '').map(String);
    for (const k of Object.keys(defOf(unwrap(option)).shape ?? {})) {
      if (keys.includes(k)) continue;
      elsewhere.set(k, [...(elsewhere.get(k) ?? []), ...names]);
    }
  }
  const all = chosen ? keys : [...new Set([...elsewhere.keys()])];
  return {
    keys: all,
    elsewhere: chosen ? elsewhere : new Map(),
    ...(hd.discriminator === undefined ? {} : { discriminator: hd.discriminator }),
  };
}

/** What kind of scalar the schema at `path` expects: used to type interpolated strings. */
export function scalarKindAt(
  root: z.ZodType,
  path: ConfigPath,
  data: unknown,
): 'number' | 'boolean' | 'other' {
  const s = schemaAt(root, path, data);
  const t = s === undefined ? undefined : defOf(s).type;
  return t === 'number' || t === 'boolean' ? t : 'other';
}

export function valueAt(data: unknown, path: ConfigPath): unknown {
  let v = data;
  for (const seg of path) {
    if (!isRecord(v) && !Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}
