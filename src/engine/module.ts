// Defmodules: construct ownership, import/export visibility and each module's agenda.
import { Agenda } from './agenda.ts';
import type { Template } from './template.ts';

/** What a module exports or imports: everything, or named deftemplates/deffunctions/... */
export interface PortSpec {
  /** `?ALL` for every construct type. */
  readonly all: boolean;
  /** Per construct type (deftemplate, deffunction, defglobal): `?ALL` or named constructs. */
  readonly byType: ReadonlyMap<string, 'all' | ReadonlySet<string>>;
}

export interface ImportSpec extends PortSpec {
  readonly from: Module;
}

export class Module {
  readonly templates = new Map<string, Template>();
  readonly agenda = new Agenda();
  exports: PortSpec | null = null;
  imports: ImportSpec[] = [];

  constructor(
    readonly name: string,
    /** Definition order, used for `list-defmodules` and deterministic iteration. */
    readonly order: number,
  ) {}

  exportsConstruct(type: string, name: string): boolean {
    return portAllows(this.exports, type, name);
  }
}

function portAllows(spec: PortSpec | null, type: string, name: string): boolean {
  if (spec === null) return false;
  if (spec.all) return true;
  const t = spec.byType.get(type);
  if (t === undefined) return false;
  return t === 'all' || t.has(name);
}

/**
 * Resolves a construct visible from `from`: its own first, then imports (in import order),
 * following exported constructs of the imported modules.
 */
export function findVisible<T>(
  from: Module,
  type: string,
  name: string,
  own: (m: Module) => T | undefined,
): T | undefined {
  const mine = own(from);
  if (mine !== undefined) return mine;
  for (const imp of from.imports) {
    if (!portAllows(imp, type, name)) continue;
    if (!imp.from.exportsConstruct(type, name)) continue;
    const found = own(imp.from);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** True when `tmpl` is visible from `from` (its own module or imported). */
export function templateVisible(tmpl: Template, from: Module): boolean {
  return findVisible(from, 'deftemplate', tmpl.name, (m) => m.templates.get(tmpl.name)) === tmpl;
}
