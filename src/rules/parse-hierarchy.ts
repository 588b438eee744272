// Classification hierarchy files: `name`, `levels` (lowest first) and optional `compartments`.
// Levels may also be `{name, rank}` objects (as rule packs write them); they are sorted by rank.
import { basename, extname } from 'node:path';
import type { HierarchyDef } from './model.ts';
import type { YMap, YValue } from './yaml-reader.ts';

/** True when a mapping looks like a hierarchy (Fathom skips candidates without both keys). */
export function looksLikeHierarchy(m: YMap): boolean {
  return m.has('name') && m.has('levels');
}

export function hierarchyKey(path: string): string {
  return basename(path, extname(path));
}

export function parseHierarchyFile(root: YMap, path: string): HierarchyDef | undefined {
  const name = root.require('name')?.string();
  const m = root.within(`hierarchy ${name ?? hierarchyKey(path)}`);
  m.allow(['name', 'description', 'levels', 'compartments']);
  m.get('description')?.string();
  const levelsNode = m.require('levels');
  const levels = levelsNode ? readLevels(levelsNode) : undefined;
  const compartments = (m.get('compartments')?.strings() ?? []).map((c) => c.value);
  if (name === undefined || levels === undefined) return undefined;
  return {
    key: hierarchyKey(path),
    name,
    levels,
    compartments,
    file: path,
    loc: root.value.location,
  };
}

function readLevels(node: YValue): string[] | undefined {
  const items = node.seq();
  if (items === undefined) return undefined;
  if (items.length === 0) return node.error('NAU_RULES_INVALID', 'levels must not be empty');
  const ranked: Array<{ name: string; rank: number; at: YValue }> = [];
  items.forEach((item, i) => {
    const m = item.isMapping ? item.map() : undefined;
    if (m === undefined) {
      const s = item.string();
      if (s !== undefined) ranked.push({ name: s, rank: i, at: item });
      return;
    }
    m.allow(['name', 'rank', 'description']);
    m.get('description')?.string();
    const name = m.require('name')?.string();
    const rank = m.require('rank')?.number();
    if (name !== undefined && rank !== undefined) ranked.push({ name, rank, at: item });
  });
  const seen = new Set<string>();
  for (const l of ranked) {
    if (l.name.trim() === '' || /\s/.test(l.name)) {
      l.at.error('NAU_RULES_INVALID', `level "${l.name}" must be a non-empty word without spaces`);
    } else if (seen.has(l.name)) {
      l.at.error('NAU_RULES_DUPLICATE', `level ${l.name} is listed twice`);
    }
    seen.add(l.name);
  }
  const ranks = new Set(ranked.map((l) => l.rank));
  if (ranks.size !== ranked.length)
    node.error('NAU_RULES_DUPLICATE', 'two levels have the same rank');
  return ranked.sort((a, b) => a.rank - b.rank).map((l) => l.name);
}
