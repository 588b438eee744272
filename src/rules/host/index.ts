// The host functions the DSL relies on, registered on an engine before any construct is built
// (the engine resolves function names at build time).
import type { Engine, HostFunction, Value } from '../../engine/index.ts';
import {
  compartments,
  compartmentsSuperset,
  dominates,
  hasCompartment,
  Ranking,
} from './hierarchy.ts';
import { containsAll, notInList, overlaps } from './lists.ts';
import { matches } from './matches.ts';
import {
  changedWithin,
  countExceeds,
  distinctCount,
  lastN,
  rateExceeds,
  sequenceDetected,
} from './temporal.ts';

export interface HostFunctionDef {
  readonly name: string;
  readonly fn: HostFunction;
  readonly min: number;
  readonly max: number;
}

export interface HostContext {
  /** Hierarchies by registry key (what `fathom-dominates` names). */
  readonly hierarchies: ReadonlyMap<string, readonly string[]>;
  /** Classification functions: each gets `<name>-rank`, `-below`, `-meets-or-exceeds`,
   *  `-within-scope`; with exactly one, `below`, `meets-or-exceeds`, `within-scope` too. */
  readonly classification: ReadonlyArray<{ readonly name: string; readonly hierarchy: string }>;
}

const def = (name: string, min: number, max: number, fn: HostFunction): HostFunctionDef => ({
  name,
  fn,
  min,
  max,
});

/** Every host function for one engine (the temporal ones read its clock and facts). */
export function hostFunctions(engine: Engine, ctx: HostContext): HostFunctionDef[] {
  const rankings = new Map([...ctx.hierarchies].map(([k, levels]) => [k, new Ranking(k, levels)]));
  const out: HostFunctionDef[] = [
    def('overlaps', 2, 2, (a, b) => overlaps(a as Value, b as Value)),
    def('not-in-list', 2, 2, (a, b) => notInList(a as Value, b as Value)),
    def('contains-all', 2, 2, (a, b) => containsAll(a as Value, b as Value)),
    def('fathom-matches', 2, 2, (s, p) => matches(s as Value, p as Value)),
    def('fathom-changed-within', 2, 2, (ts, w) =>
      changedWithin(engine.clock(), ts as Value, w as Value),
    ),
    def('fathom-count-exceeds', 4, 4, (t, s, v, n) =>
      countExceeds(engine, ...([t, s, v, n] as [Value, Value, Value, Value])),
    ),
    def('fathom-rate-exceeds', 5, 6, (t, s, v, n, w, ts) =>
      rateExceeds(engine, t as Value, s as Value, v as Value, n as Value, w as Value, ts ?? 'ts'),
    ),
    def('fathom-last-n', 4, 4, (t, s, v, n) =>
      lastN(engine, ...([t, s, v, n] as [Value, Value, Value, Value])),
    ),
    def('fathom-distinct-count', 4, 4, (t, g, c, n) =>
      distinctCount(engine, ...([t, g, c, n] as [Value, Value, Value, Value])),
    ),
    def('fathom-sequence-detected', 2, 2, (e, w) =>
      sequenceDetected(engine, e as Value, w as Value),
    ),
    def('fathom-parse-compartments', 1, 1, (s) => [...compartments(s as Value)]),
    def('fathom-has-compartment', 2, 2, (s, r) => hasCompartment(s as Value, r as Value)),
    def('fathom-compartments-superset', 2, 2, (s, r) =>
      compartmentsSuperset(s as Value, r as Value),
    ),
    def('fathom-dominates', 5, 5, (la, ca, lb, cb, h) =>
      dominates(rankings, la as Value, ca as Value, lb as Value, cb as Value, h as Value),
    ),
  ];
  for (const c of ctx.classification) {
    const r = rankings.get(c.hierarchy);
    if (r === undefined) continue;
    out.push(...rankFunctions(c.name, r));
  }
  const only = ctx.classification.length === 1 ? ctx.classification[0] : undefined;
  const shim = only && rankings.get(only.hierarchy);
  if (shim) out.push(...rankFunctions(undefined, shim));
  return out;
}

function rankFunctions(prefix: string | undefined, r: Ranking): HostFunctionDef[] {
  const name = (suffix: string) => (prefix === undefined ? suffix : `${prefix}-${suffix}`);
  const fns = [
    def(name('below'), 2, 2, (a, b) => r.below(a as Value, b as Value)),
    def(name('meets-or-exceeds'), 2, 2, (a, b) => r.meetsOrExceeds(a as Value, b as Value)),
    def(name('within-scope'), 2, 2, (a, b) => r.withinScope(a as Value, b as Value)),
  ];
  if (prefix !== undefined) fns.unshift(def(name('rank'), 1, 1, (l) => BigInt(r.rank(l as Value))));
  return fns;
}

export function registerHostFunctions(engine: Engine, defs: readonly HostFunctionDef[]): void {
  for (const d of defs) engine.registerFunction(d.name, d.fn, { min: d.min, max: d.max });
}
