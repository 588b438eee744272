// Request validation with the route's zod schemas: NAU_REQUEST_INVALID (400) naming every
// offending field (`detail.field` is the first, `detail.problems` all of them).
import type { z } from 'zod';
import { closest } from '../../config/index.ts';
import { NautilusError } from '../../errors.ts';

export type InputPart = 'body' | 'params' | 'query';

export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  part: InputPart,
): z.output<T> {
  const parsed = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  const problems: { field: string; message: string }[] = [];
  for (const issue of parsed.error.issues) {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, issue.path);
      for (const k of issue.keys) {
        const near = closest(k, known);
        problems.push({
          field: at === '' ? k : `${at}.${k}`,
          message: `unknown field${near === undefined ? '' : ` (did you mean ${near}?)`}`,
        });
      }
    } else if (issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined) {
      problems.push({ field: at, message: at === '' ? `a JSON ${part} is required` : 'required' });
    } else {
      problems.push({ field: at, message: issue.message });
    }
  }
  const where = (f: string) => (f === '' ? part : `${part}.${f}`);
  throw new NautilusError(
    'NAU_REQUEST_INVALID',
    problems.map((p) => `${where(p.field)}: ${p.message}`).join('; '),
    400,
    { field: problems[0]?.field ?? '', in: part, problems },
  );
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur = value;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** The keys the object schema at `path` accepts (for did-you-mean hints). */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  for (const p of path) s = childOf(unwrap(s), p);
  const shape = (unwrap(s) as { shape?: unknown } | undefined)?.shape;
  return typeof shape === 'object' && shape !== null ? Object.keys(shape) : [];
}

function childOf(s: unknown, key: PropertyKey): unknown {
  const def = (s as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown } })
    ?.def;
  if (def?.type === 'object') return def.shape?.[String(key)];
  if (def?.type === 'array') return def.element;
  return undefined;
}

function unwrap(s: unknown): unknown {
  let cur = s as { def?: { type?: string; innerType?: unknown } } | undefined;
  while (cur?.def?.type === 'optional' || cur?.def?.type === 'nullable')
    cur = cur.def.innerType as typeof cur;
  return cur;
}
