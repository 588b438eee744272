// Modules files: `modules: [{name, description, priority}]` and an optional `focus_order`.
import type { FocusOrderDecl, ModuleDef } from './model.ts';
import { identifier } from './parse-templates.ts';
import type { YMap } from './yaml-reader.ts';

export interface ModulesFile {
  readonly modules: ModuleDef[];
  readonly focus?: FocusOrderDecl;
}

export function parseModulesFile(root: YMap): ModulesFile {
  root.allow(['modules', 'focus_order']);
  const modules: ModuleDef[] = [];
  const seen = new Set<string>();
  for (const item of root.get('modules')?.seq() ?? []) {
    const raw = item.map();
    if (raw === undefined) continue;
    const m = raw.within(`module ${raw.peek('name') ?? '?'}`);
    const name = identifier(m.require('name'), 'module name');
    m.allow(['name', 'description', 'priority']);
    const description = m.get('description')?.string();
    const priority = m.get('priority')?.integer();
    if (name === undefined) continue;
    if (name === 'MAIN') {
      m.get('name')?.error('NAU_RULES_INVALID', 'module MAIN always exists and cannot be declared');
      continue;
    }
    if (seen.has(name)) {
      item.error('NAU_RULES_DUPLICATE', `module ${name} is declared twice in this file`);
      continue;
    }
    seen.add(name);
    modules.push({
      name,
      loc: item.location,
      ...(description === undefined ? {} : { description }),
      ...(priority === undefined ? {} : { priority }),
    });
  }
  const focusNode = root.get('focus_order');
  if (focusNode === undefined) return { modules };
  const names: Array<{ name: string; loc: FocusOrderDecl['loc'] }> = [];
  for (const { value, at } of focusNode.strings() ?? []) {
    if (names.some((n) => n.name === value)) {
      at.error('NAU_RULES_DUPLICATE', `module ${value} is listed twice in focus_order`);
      continue;
    }
    names.push({ name: value, loc: at.location });
  }
  return { modules, focus: { modules: names, loc: focusNode.location } };
}
