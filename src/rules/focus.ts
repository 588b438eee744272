// Merging focus orders. In Fathom every modules file's `focus_order` replaced the whole focus
// list, so loading a pack's modules file silently stopped every other module from firing. Here
// each list is a set of "runs before" constraints; the lists are merged into one order (stable:
// ties go to the module mentioned first), contradictions are errors, and a module that has
// rules but is in no list is an error instead of a module that never fires.
import type { NautilusError } from '../errors.ts';
import { rulesError } from './diagnostics.ts';
import type { FocusOrderDecl, Loc, ModuleDef } from './model.ts';
import { didYouMean } from './suggest.ts';

export function mergeFocusOrders(
  decls: readonly FocusOrderDecl[],
  modules: readonly ModuleDef[],
  /** Modules that have at least one rule, with the location of one of them. */
  used: ReadonlyMap<string, Loc>,
  errors: NautilusError[],
): string[] {
  const declared = new Set(modules.map((m) => m.name));
  const firstSeen = new Map<string, number>();
  const after = new Map<string, Set<string>>();
  for (const d of decls) {
    let prev: string | undefined;
    for (const m of d.modules) {
      if (!declared.has(m.name)) {
        errors.push(
          rulesError(
            'NAU_RULES_UNKNOWN_REFERENCE',
            `focus_order names undeclared module ${m.name}${didYouMean(m.name, declared)}`,
            { location: m.loc, path: 'focus_order' },
          ),
        );
        continue;
      }
      if (!firstSeen.has(m.name)) firstSeen.set(m.name, firstSeen.size);
      if (prev !== undefined) {
        const set = after.get(prev) ?? new Set<string>();
        set.add(m.name);
        after.set(prev, set);
      }
      prev = m.name;
    }
  }
  // Kahn's algorithm, always taking the ready module that was mentioned first.
  const indegree = new Map([...firstSeen.keys()].map((m) => [m, 0]));
  for (const targets of after.values())
    for (const t of targets) indegree.set(t, (indegree.get(t) ?? 0) + 1);
  const order: string[] = [];
  const ready = () =>
    [...indegree.entries()]
      .filter(([m, n]) => n === 0 && !order.includes(m))
      .sort((a, b) => (firstSeen.get(a[0]) ?? 0) - (firstSeen.get(b[0]) ?? 0));
  for (let next = ready()[0]; next !== undefined; next = ready()[0]) {
    order.push(next[0]);
    for (const t of after.get(next[0]) ?? []) indegree.set(t, (indegree.get(t) ?? 0) - 1);
  }
  const cyclic = [...firstSeen.keys()].filter((m) => !order.includes(m));
  if (cyclic.length > 0) {
    errors.push(
      rulesError(
        'NAU_RULES_FOCUS',
        `the focus_order lists contradict each other for modules ${cyclic.join(', ')}`,
        { location: (decls[decls.length - 1] as FocusOrderDecl).loc, path: 'focus_order' },
      ),
    );
  }
  for (const [m, loc] of used) {
    if (m !== 'MAIN' && declared.has(m) && !firstSeen.has(m)) {
      errors.push(
        rulesError(
          'NAU_RULES_FOCUS',
          `module ${m} has rules but is in no focus_order, so they would never fire`,
          { location: loc, path: 'module' },
        ),
      );
    }
  }
  return order;
}
