// The SessionManager's view of the engine: applies session ops through the policy (engine
// phase 2) and keeps track of which facts belong to which session, so persisting or dropping
// a session costs the size of that session, not of working memory.
import { type Fact, fromValue } from '../engine/index.ts';
import type { SessionEngine } from '../session/manager.ts';
import type { SessionOp, SessionValue } from '../session/ops.ts';
import type { FactRows } from '../session/stored-state.ts';
import { type PolicyEngine, type PolicyFact, SESSION_TEMPLATES } from './policy-engine.ts';

/** One session's facts in id (= assertion) order; retracted ones are pruned lazily. */
interface Tracked {
  facts: Fact[];
  /** Length at which `facts` is compacted next (it doubles with the live facts). */
  compactAt: number;
}

export class PolicySessionEngine implements SessionEngine {
  /** Facts per session: an array, not a Set, because a Set hashes every new fact object. */
  private readonly bySession = new Map<string, Tracked>();

  constructor(private readonly policy: PolicyEngine) {}

  apply(ops: readonly SessionOp[]): { readonly ruleTrace: readonly string[] } {
    const update = this.policy.applySessionFacts(ops as readonly PolicyFact[]);
    this.note(update.sessionFacts);
    return { ruleTrace: update.ruleTrace };
  }

  /** Records session facts the policy created outside phase 2 (e.g. flags raised in phase 1). */
  note(facts: readonly Fact[]): void {
    for (const f of facts) {
      // Already gone (e.g. the summary a later rule replaced): nothing to track.
      if (f.retracted || !SESSION_TEMPLATES.has(f.template.name)) continue;
      const id = f.get('session_id');
      if (typeof id !== 'string' || id === '') continue;
      let t = this.bySession.get(id);
      if (t === undefined) {
        t = { facts: [], compactAt: 64 };
        this.bySession.set(id, t);
      }
      const last = t.facts[t.facts.length - 1];
      if (last === undefined || last.id < f.id) t.facts.push(f);
      else if (!t.facts.includes(f)) {
        t.facts.push(f);
        t.facts.sort((a, b) => a.id - b.id);
      }
      if (t.facts.length >= t.compactAt) compact(t);
    }
  }

  /** The session's facts among `facts` (e.g. flags raised while routing), as ops: the WAL
   *  record carries them with the request's own ops, so replay restores them too. The summary
   *  is left out: it is derived (the rules fold flags and exposures into it on replay), and a
   *  copy asserted next to the restored summary would leave the session with two of them. */
  opsOf(sessionId: string, facts: readonly Fact[]): SessionOp[] {
    return facts
      .filter(
        (f) =>
          !f.retracted &&
          f.template.name !== 'session_summary' &&
          SESSION_TEMPLATES.has(f.template.name) &&
          f.get('session_id') === sessionId,
      )
      .map((f) => ({ template: f.template.name, slots: slotsOf(f) }));
  }

  facts(sessionId: string): SessionOp[] {
    return this.asOps(this.live(sessionId));
  }

  rows(sessionId: string): FactRows {
    const slots: Record<string, readonly string[]> = {};
    const facts: Array<[string, ...SessionValue[]]> = [];
    for (const f of this.live(sessionId)) {
      const t = f.template;
      slots[t.name] ??= t.slots.map((d) => d.name);
      const n = f.slots.length;
      const row = new Array<string | SessionValue>(n + 1);
      row[0] = t.name;
      for (let i = 0; i < n; i++) {
        const v = f.slots[i];
        // Strings and numbers are their own JSON value; symbols, multifields... convert.
        row[i + 1] =
          typeof v === 'string' || typeof v === 'number'
            ? v
            : (fromValue(v as never) as SessionValue);
      }
      facts.push(row as [string, ...SessionValue[]]);
    }
    return { slots, facts };
  }

  /** Facts as ops (a retracted fact still has its values). */
  asOps(facts: readonly Fact[]): SessionOp[] {
    return facts.map((f) => ({ template: f.template.name, slots: slotsOf(f) }));
  }

  drop(sessionId: string): void {
    const live = this.live(sessionId);
    this.bySession.delete(sessionId);
    for (const f of live) this.policy.engine.retract(f);
  }

  /** Replaces the session's facts with `facts` (as they were saved), like a restart would. */
  restore(sessionId: string, facts: readonly SessionOp[]): void {
    this.drop(sessionId);
    if (facts.length > 0) this.apply(facts);
  }

  /** The session's live facts in assertion order. */
  live(sessionId: string): Fact[] {
    const t = this.bySession.get(sessionId);
    if (t === undefined) return [];
    compact(t);
    if (t.facts.length === 0) {
      this.bySession.delete(sessionId);
      return [];
    }
    return t.facts.slice();
  }
}

/** Drops retracted facts, keeping the order. */
function compact(t: Tracked): void {
  let n = 0;
  for (const f of t.facts) if (!f.retracted) t.facts[n++] = f;
  t.facts.length = n;
  t.compactAt = Math.max(64, 2 * n);
}

function slotsOf(f: Fact): Record<string, SessionValue> {
  const out: Record<string, SessionValue> = {};
  const defs = f.template.slots;
  for (let i = 0; i < defs.length; i++) {
    out[(defs[i] as { name: string }).name] = fromValue(f.slots[i] as never) as SessionValue;
  }
  return out;
}
