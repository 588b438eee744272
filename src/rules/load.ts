// Loading rules files into a RuleSet: parse every YAML file, tell its kind by its top-level keys,
// validate its shape, resolve classification hierarchies, and check names across files. Every
// problem of every file is collected; nothing stops at the first error.
import { readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { NautilusError } from '../errors.ts';
import { rulesError, sortErrors } from './diagnostics.ts';
import { discoverFiles } from './discover.ts';
import type {
  ClpFile,
  FocusOrderDecl,
  FunctionDef,
  HierarchyDef,
  Loc,
  ModuleDef,
  RulesetDef,
  TemplateDef,
} from './model.ts';
import { parseFunctionsFile } from './parse-functions.ts';
import { looksLikeHierarchy, parseHierarchyFile } from './parse-hierarchy.ts';
import { parseModulesFile } from './parse-modules.ts';
import { parseRulesFile } from './parse-rules.ts';
import { parseTemplatesFile } from './parse-templates.ts';
import { didYouMean } from './suggest.ts';
import { readYaml, YamlFile, type YMap, type YValue } from './yaml-reader.ts';

export interface RuleSource {
  readonly path: string;
  readonly text: string;
}

export interface RuleSet {
  readonly templates: TemplateDef[];
  readonly modules: ModuleDef[];
  /** Every focus_order list, in load order (merged by the compiler). */
  readonly focusOrders: FocusOrderDecl[];
  readonly hierarchies: HierarchyDef[];
  readonly functions: FunctionDef[];
  readonly rulesets: RulesetDef[];
  readonly clpFiles: ClpFile[];
  /** The files read, in load order. */
  readonly files: string[];
  readonly errors: NautilusError[];
}

export interface LoadOptions {
  /** Reads a file outside the given sources (hierarchy_ref targets); undefined if missing. */
  readonly readFile?: (path: string) => string | undefined;
}

type Kind = 'templates' | 'modules' | 'functions' | 'rules' | 'hierarchy';

function kindOf(m: YMap): Kind | undefined {
  if (m.has('templates')) return 'templates';
  if (m.has('modules') || m.has('focus_order')) return 'modules';
  if (m.has('functions')) return 'functions';
  if (m.has('rules') || m.has('module') || m.has('ruleset')) return 'rules';
  if (m.has('levels')) return 'hierarchy';
  return undefined;
}

const readDisk = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Loads rules directories (or single files) in the documented layout. */
export function loadRuleDirs(paths: readonly string[]): RuleSet {
  const sources: RuleSource[] = [];
  const errors: NautilusError[] = [];
  for (const p of paths) {
    let files: string[];
    try {
      files = discoverFiles(p);
    } catch (x) {
      errors.push(
        rulesError('NAU_RULES_IO', `cannot read ${p}: ${(x as Error).message}`, {
          location: { file: p },
        }),
      );
      continue;
    }
    for (const f of files) {
      const text = readDisk(f);
      if (text === undefined) {
        errors.push(rulesError('NAU_RULES_IO', `cannot read ${f}`, { location: { file: f } }));
      } else {
        sources.push({ path: f, text });
      }
    }
  }
  const set = loadRuleSources(sources, { readFile: readDisk });
  return { ...set, errors: sortErrors([...errors, ...set.errors]) };
}

/** Loads rules files given as text (the directory loader and tests use this). */
export function loadRuleSources(
  sources: readonly RuleSource[],
  options: LoadOptions = {},
): RuleSet {
  const errors: NautilusError[] = [];
  const set: RuleSet = {
    templates: [],
    modules: [],
    focusOrders: [],
    hierarchies: [],
    functions: [],
    rulesets: [],
    clpFiles: [],
    files: sources.map((s) => s.path),
    errors,
  };
  const docs: Array<{ path: string; root: YMap; kind: Kind }> = [];
  for (const src of sources) {
    if (extname(src.path).toLowerCase() === '.clp') {
      set.clpFiles.push({ path: src.path, text: src.text });
      continue;
    }
    const root = rootMap(src, errors);
    if (root === undefined) continue;
    const kind = kindOf(root);
    if (kind === undefined) {
      root.value.error(
        'NAU_RULES_INVALID',
        'not a rules file: expected a top-level templates, modules, functions, rules or levels key',
      );
      continue;
    }
    docs.push({ path: src.path, root, kind });
  }

  // Hierarchies first: functions resolve their hierarchy_ref against them.
  const hierarchyByPath = new Map<string, HierarchyDef | null>();
  for (const d of docs.filter((d) => d.kind === 'hierarchy')) {
    hierarchyByPath.set(normalize(d.path), parseHierarchyFile(d.root, d.path) ?? null);
  }
  const readFile = options.readFile ?? (() => undefined);
  const resolve = (ref: string, fromDir: string, at: YValue): HierarchyDef | undefined => {
    const candidates = [
      join(fromDir, ref),
      join(fromDir, 'hierarchies', ref),
      join(fromDir, '..', 'hierarchies', ref),
    ].map((c) => normalize(c));
    for (const c of candidates) {
      if (!hierarchyByPath.has(c)) {
        const text = readFile(c);
        if (text === undefined) continue;
        const root = rootMap({ path: c, text }, errors);
        hierarchyByPath.set(
          c,
          root && looksLikeHierarchy(root) ? (parseHierarchyFile(root, c) ?? null) : null,
        );
      }
      const h = hierarchyByPath.get(c);
      if (h) return h;
    }
    return at.error(
      'NAU_RULES_UNKNOWN_REFERENCE',
      `hierarchy_ref ${ref} not found (looked for ${candidates.join(', ')})`,
    );
  };

  for (const d of docs) {
    switch (d.kind) {
      case 'templates':
        set.templates.push(...parseTemplatesFile(d.root));
        break;
      case 'modules': {
        const m = parseModulesFile(d.root);
        set.modules.push(...m.modules);
        if (m.focus) set.focusOrders.push(m.focus);
        break;
      }
      case 'functions':
        set.functions.push(...parseFunctionsFile(d.root, d.path, resolve));
        break;
      case 'rules': {
        const r = parseRulesFile(d.root, d.path);
        if (r) set.rulesets.push(r);
        break;
      }
      case 'hierarchy':
        break;
    }
  }
  for (const h of hierarchyByPath.values()) if (h) set.hierarchies.push(h);
  checkAcrossFiles(set, errors);
  errors.splice(0, errors.length, ...sortErrors(errors));
  return set;
}

function rootMap(src: RuleSource, errors: NautilusError[]): YMap | undefined {
  const file = new YamlFile(src.path, src.text);
  const root = readYaml(file, errors);
  if (root === undefined) return undefined;
  if (root.isNull) {
    root.error('NAU_RULES_INVALID', 'the file is empty');
    return undefined;
  }
  return root.map();
}

const at = (loc: Loc) => `${loc.file}:${loc.line ?? '?'}`;

/** Duplicate names across files and rulesets naming undeclared modules. */
function checkAcrossFiles(set: RuleSet, errors: NautilusError[]): void {
  const unique = <T extends { name: string; loc: Loc }>(items: T[], what: string): T[] => {
    const first = new Map<string, T>();
    return items.filter((item) => {
      const prev = first.get(item.name);
      if (prev === undefined) {
        first.set(item.name, item);
        return true;
      }
      errors.push(
        rulesError(
          'NAU_RULES_DUPLICATE',
          `${what} ${item.name} is already defined at ${at(prev.loc)}`,
          {
            location: item.loc,
            construct: `${what} ${item.name}`,
          },
        ),
      );
      return false;
    });
  };
  set.templates.splice(0, set.templates.length, ...unique(set.templates, 'template'));
  set.modules.splice(0, set.modules.length, ...unique(set.modules, 'module'));
  set.functions.splice(0, set.functions.length, ...unique(set.functions, 'function'));
  const hierarchies = unique(
    set.hierarchies.map((h) => ({ name: h.key, loc: h.loc, h })),
    'hierarchy',
  ).map((x) => x.h);
  set.hierarchies.splice(0, set.hierarchies.length, ...hierarchies);

  const modules = new Set(['MAIN', ...set.modules.map((m) => m.name)]);
  const rules = new Map<string, Loc>();
  for (const rs of set.rulesets) {
    if (!modules.has(rs.module.text)) {
      errors.push(
        rulesError(
          'NAU_RULES_UNKNOWN_REFERENCE',
          `module ${rs.module.text} is not declared in any modules file${didYouMean(rs.module.text, modules)}`,
          { location: rs.module.loc, construct: `ruleset ${rs.ruleset}`, path: 'module' },
        ),
      );
    }
    for (const r of rs.rules) {
      const key = `${rs.module.text}::${r.name}`;
      const prev = rules.get(key);
      if (prev !== undefined && prev.file !== r.loc.file) {
        errors.push(
          rulesError('NAU_RULES_DUPLICATE', `rule ${key} is already defined at ${at(prev)}`, {
            location: r.loc,
            construct: `rule ${r.name}`,
          }),
        );
      }
      if (prev === undefined) rules.set(key, r.loc);
    }
  }
}
