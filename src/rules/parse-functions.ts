// Functions files: `functions: [{name, description, params, type, hierarchy_ref, body}]`.
// `classification` functions name a hierarchy file; `raw` ones carry a complete deffunction.
import { dirname } from 'node:path';
import { isScalar, type Scalar as YamlScalar } from 'yaml';
import { checkBalanced } from './clips-text.ts';
import type { FunctionDef, HierarchyDef, Loc } from './model.ts';
import { identifier, oneOf } from './parse-templates.ts';
import type { YMap, YValue } from './yaml-reader.ts';

/** Finds a hierarchy file for a `hierarchy_ref`, reporting at `at` when none is found. */
export type HierarchyResolver = (
  ref: string,
  fromDir: string,
  at: YValue,
) => HierarchyDef | undefined;

export function parseFunctionsFile(
  root: YMap,
  path: string,
  resolve: HierarchyResolver,
): FunctionDef[] {
  root.allow(['functions']);
  const out: FunctionDef[] = [];
  const seen = new Set<string>();
  for (const item of root.require('functions')?.seq() ?? []) {
    const f = parseFunction(item, path, resolve);
    if (f === undefined) continue;
    if (seen.has(f.name)) {
      item.error('NAU_RULES_DUPLICATE', `function ${f.name} is defined twice in this file`);
      continue;
    }
    seen.add(f.name);
    out.push(f);
  }
  return out;
}

function parseFunction(
  item: YValue,
  path: string,
  resolve: HierarchyResolver,
): FunctionDef | undefined {
  const raw = item.map();
  if (raw === undefined) return undefined;
  const m = raw.within(`function ${raw.peek('name') ?? '?'}`);
  const name = identifier(m.require('name'), 'function name');
  m.allow(['name', 'description', 'params', 'type', 'hierarchy_ref', 'body']);
  if (name?.startsWith('fathom-'))
    m.get('name')?.error('NAU_RULES_INVALID', 'the prefix fathom- is reserved for host functions');
  const description = m.get('description')?.string();
  const params = (m.get('params')?.strings() ?? []).map((p) => p.value);
  const typeNode = m.get('type');
  const type = typeNode
    ? oneOf(typeNode, ['classification', 'raw'] as const, 'type')
    : 'classification';
  if (name === undefined || type === undefined) return undefined;
  const base = {
    name,
    params,
    loc: item.location,
    ...(description === undefined ? {} : { description }),
  };
  if (type === 'classification') {
    m.get('body')?.error('NAU_RULES_INVALID', 'body is only used by raw functions');
    const refNode = m.require('hierarchy_ref');
    const ref = refNode?.string();
    if (refNode === undefined || ref === undefined) return undefined;
    const h = resolve(ref, dirname(path), refNode);
    return h === undefined ? undefined : { ...base, type, hierarchy: h.key };
  }
  m.get('hierarchy_ref')?.error(
    'NAU_RULES_INVALID',
    'hierarchy_ref is only used by classification functions',
  );
  const bodyNode = m.require('body');
  const body = bodyNode?.string();
  if (bodyNode === undefined || body === undefined) return undefined;
  const unbalanced = checkBalanced(body);
  if (unbalanced !== undefined)
    return bodyNode.error('NAU_RULES_EXPRESSION', `${unbalanced} in the body`);
  const head = /^\s*\(\s*deffunction\s+([^\s()]+)/.exec(body);
  if (head === null)
    return bodyNode.error(
      'NAU_RULES_EXPRESSION',
      'body must be a complete (deffunction ...) construct',
    );
  const declared = head[1] as string;
  if (declared !== name && declared !== `MAIN::${name}`)
    return bodyNode.error(
      'NAU_RULES_INVALID',
      `body defines ${declared}, but the function is named ${name}`,
    );
  return { ...base, type, body, bodyLoc: bodyLocation(bodyNode) };
}

/** Where the body's text starts: block scalars (`|`) on the line after the indicator, at the
 *  content's indentation; quoted scalars one column after the quote. */
function bodyLocation(node: YValue): Loc {
  const loc = node.location;
  const type = isScalar(node.node) ? (node.node as YamlScalar).type : undefined;
  if (type?.startsWith('BLOCK')) {
    const text = node.ctx.file.text;
    const start = text.indexOf('\n', node.offset) + 1;
    const indent = /^ */.exec(text.slice(start))?.[0].length ?? 0;
    return { file: loc.file, line: (loc.line ?? 0) + 1, column: indent + 1 };
  }
  const quoted = type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE';
  return { ...loc, column: (loc.column ?? 1) + (quoted ? 1 : 0) };
}
