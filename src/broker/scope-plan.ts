// Turns the policy's scope constraints and the caller's filters into the scope each routed source
// is queried with, and validates it before anything is queried. A scope that is invalid or
// outside its validity window denies the source: it is never queried with a looser scope.

import { isAdapterFailure } from '../adapters/failure.ts';
import { checkScope, type ScopeTarget } from '../adapters/scope.ts';
import type { ScopeConstraint, ScopeOperator, ScopeScalar } from '../adapters/types.ts';
import type { IntentFilter } from './intent/types.ts';
import type { PolicyScope, SourceVerdict } from './policy-engine.ts';

export interface ScopePlan {
  readonly scope: readonly ScopeConstraint[];
  /** Caller filters that could not be applied to this source (it lacks the column). */
  readonly filtersNotApplied: readonly string[];
}

export type ScopeOutcome =
  | { readonly ok: true; readonly plan: ScopePlan }
  | { readonly ok: false; readonly denial: SourceVerdict };

/** The policy's constraint as an adapter constraint: multislot values become the value shape. */
export function fromPolicyScope(p: PolicyScope): ScopeConstraint {
  const op = p.operator as ScopeOperator;
  let value: ScopeConstraint['value'];
  if (op === 'IN' || op === 'NOT IN' || op === 'BETWEEN') value = [...p.value];
  else if (op !== 'IS NULL' && op !== 'IS NOT NULL') value = p.value[0] ?? '';
  return {
    field: p.field,
    operator: op,
    ...(value === undefined ? {} : { value }),
    ...(p.validFrom === null ? {} : { validFrom: p.validFrom }),
    ...(p.expiresAt === null ? {} : { expiresAt: p.expiresAt }),
    rule: p.rule,
  };
}

function fromFilter(f: IntentFilter): ScopeConstraint {
  const value = f.value;
  return {
    field: f.field,
    operator: f.operator,
    ...(value === null ? {} : { value: value as ScopeScalar | readonly ScopeScalar[] }),
    rule: 'request-filter',
  };
}

/**
 * Policy constraints always apply. A caller filter narrows a source only when the source
 * declares that column in `allowed_columns` (otherwise the broker cannot know the column
 * exists, and a filter must never turn into a failed or widened query).
 */
export function planScope(
  target: ScopeTarget,
  policy: readonly PolicyScope[],
  filters: readonly IntentFilter[],
  now: Date,
): ScopeOutcome {
  const columns = target.allowedColumns ?? null;
  const applicable = filters.filter((f) => columns?.includes(f.field) === true);
  const scope = [...policy.map(fromPolicyScope), ...applicable.map(fromFilter)];
  const filtersNotApplied = filters.filter((f) => !applicable.includes(f)).map((f) => f.field);
  try {
    const checked = checkScope(scope, target, now);
    if (checked.ok) return { ok: true, plan: { scope, filtersNotApplied } };
    const d = checked.denial;
    return {
      ok: false,
      denial: { sourceId: target.id, reason: d.message, rule: d.rule ?? 'broker::scope-window' },
    };
  } catch (x) {
    if (!isAdapterFailure(x)) throw x;
    const rule = typeof x.detail.rule === 'string' ? x.detail.rule : 'broker::scope-invalid';
    return {
      ok: false,
      denial: { sourceId: target.id, reason: `invalid scope: ${x.message}`, rule },
    };
  }
}
