// `${VAR}` and `${VAR:-default}` in string values. Only value scalars are touched (never keys,
// so a `${X}` key stays literal), substitution happens once (a variable's text is not scanned
// again), and `$${` writes a literal `${`. A missing variable without a default is a problem
// naming the variable and where it is used, not an empty string.
import { type Document, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { ConfigLocator } from './locator.ts';
import { type ConfigPath, type ConfigProblem, problemAt } from './problems.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface InterpolationResult {
  readonly problems: ConfigProblem[];
  /** Paths of values that contain substituted text (they are typed by their key, see load.ts). */
  readonly substituted: ConfigPath[];
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

type Expansion = { ok: true; text: string; changed: boolean } | { ok: false; message: string };

/** Expands the references in one string. */
export function expand(text: string, env: Env): Expansion {
  if (!text.includes('$')) return { ok: true, text, changed: false };
  let out = '';
  let i = 0;
  let changed = false;
  while (i < text.length) {
    const j = text.indexOf('$', i);
    if (j < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, j);
    if (text.startsWith('$${', j)) {
      out += '${';
      i = j + 3;
      changed = true;
      continue;
    }
    if (text[j + 1] !== '{') {
      out += '$';
      i = j + 1;
      continue;
    }
    const end = text.indexOf('}', j + 2);
    if (end < 0) return { ok: false, message: 'unterminated ${ (write $${ for a literal ${)' };
    const body = text.slice(j + 2, end);
    const m = REFERENCE.exec(body);
    if (m === null)
      return {
        ok: false,
        message: `invalid variable reference \${${body}} (expected \${NAME} or \${NAME:-default})`,
      };
    const name = m[1]!;
    const fallback = m[2];
    const value = env[name];
    // Like the shell's `:-`: the default also replaces a variable that is set but empty.
    if (fallback !== undefined && (value === undefined || value === '')) out += fallback;
    else if (value !== undefined) out += value;
    else
      return {
        ok: false,
        message: `environment variable ${name} is not set (set it, or give a default: \${${name}:-value})`,
      };
    changed = true;
    i = end + 1;
  }
  return { ok: true, text: out, changed };
}

/** Expands every string value of the document in place. */
export function interpolateDocument(
  doc: Document,
  env: Env,
  locator: ConfigLocator,
): InterpolationResult {
  const problems: ConfigProblem[] = [];
  const substituted: ConfigPath[] = [];
  const visit = (node: unknown, path: (string | number)[]) => {
    if (isAlias(node)) return; // expanded where its anchor is defined
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined) visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        visit(item, [...path, i]);
      });
    } else if (isScalar(node) && typeof node.value === 'string') {
      const r = expand(node.value, env);
      if (!r.ok) problems.push(problemAt(path, locator.locate(path), r.message));
      else if (r.changed) {
        node.value = r.text;
        substituted.push(path);
      }
    }
  };
  visit(doc.contents, []);
  return { problems, substituted };
}
