// A case's expectation against what the policy decided: one readable line per difference.
import { type Atom, fromValue, type Value } from '../../engine/index.ts';
import { type CaseExpectation, EVERY_SOURCE, type PolicyCase } from '../../rules/index.ts';
import type { SourceVerdict } from '../policy-engine.ts';
import type { CaseObservation } from './run.ts';

export function compareCase(
  c: PolicyCase,
  observed: CaseObservation,
  fired: ReadonlySet<string>,
): string[] {
  const x: CaseExpectation = c.expect;
  const o = observed.outcome;
  const out: string[] = [];
  const all = c.config.filter((f) => f.template === 'source').map((f) => atom(f.slots.id));
  if (x.routed) sameSet('routed', x.routed, o.routed.map(id), out);
  if (x.skipped) sameSet('skipped', x.skipped, o.skipped.map(id), out);
  if (x.denied) {
    const expected = x.denied.flatMap((d) => (d.source === EVERY_SOURCE ? all : [d.source]));
    sameSet('denied', expected, o.denied.map(id), out);
    for (const d of x.denied) {
      if (d.rule === undefined && d.reasonContains === undefined) continue;
      for (const sid of d.source === EVERY_SOURCE ? all : [d.source]) {
        const mine = o.denied.filter((v) => v.sourceId === sid);
        if (mine.length === 0) continue; // already reported as a missing denial
        const match = mine.some(
          (v) =>
            (d.rule === undefined || v.rule === d.rule) &&
            (d.reasonContains === undefined || v.reason.includes(d.reasonContains)),
        );
        if (!match) {
          const wanted = [
            d.rule === undefined ? '' : `by ${d.rule}`,
            d.reasonContains === undefined ? '' : `with a reason containing "${d.reasonContains}"`,
          ]
            .filter((s) => s !== '')
            .join(' ');
          out.push(
            `denied ${sid}: expected a denial ${wanted}; got ${mine.map(verdict).join('; ')}`,
          );
        }
      }
    }
  }
  if (x.flags) sameSet('flags', x.flags, observed.flags, out);
  if (x.summary) {
    const s = observed.summary;
    if (s === undefined) {
      out.push(`summary: the session "${c.sessionId}" has no session_summary`);
    } else {
      for (const [slot, want] of Object.entries(x.summary)) {
        const got = s.get(slot);
        if (got === undefined || !sameSlot(want, got))
          out.push(
            `summary.${slot}: expected ${show(want)}, got ${got === undefined ? 'nothing' : show(got)}`,
          );
      }
    }
  }
  if (x.scope) {
    for (const [sid, want] of x.scope) {
      const got = (o.scope.get(sid) ?? []).map((p) => scopeText(p.field, p.operator, p.value));
      sameSet(
        `scope of ${sid}`,
        want.map((w) => scopeText(w.field, w.operator, w.value)),
        got,
        out,
      );
    }
  }
  for (const r of x.fired ?? []) if (!fired.has(r)) out.push(`fired: ${r} did not fire`);
  for (const r of x.notFired ?? []) if (fired.has(r)) out.push(`not_fired: ${r} fired`);
  return out;
}

function sameSet(what: string, expected: readonly string[], got: readonly string[], out: string[]) {
  const e = [...new Set(expected)].sort();
  const g = [...new Set(got)].sort();
  const missing = e.filter((s) => !g.includes(s));
  const extra = g.filter((s) => !e.includes(s));
  if (missing.length === 0 && extra.length === 0) return;
  const notes = [
    missing.length > 0 ? `missing ${missing.join(', ')}` : '',
    extra.length > 0 ? `unexpected ${extra.join(', ')}` : '',
  ].filter((s) => s !== '');
  out.push(`${what}: expected [${e.join(', ')}], got [${g.join(', ')}] (${notes.join('; ')})`);
}

/** Slots compare by text; multislots as sets (summaries accumulate in arrival order). */
function sameSlot(want: Value, got: Value): boolean {
  if (Array.isArray(want) !== Array.isArray(got)) return false;
  if (!Array.isArray(want)) return atom(want as Atom) === atom(got as Atom);
  const a = [...new Set((want as readonly Atom[]).map(atom))].sort();
  const b = [...new Set((got as readonly Atom[]).map(atom))].sort();
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function show(v: Value): string {
  return Array.isArray(v) ? `[${(v as readonly Atom[]).map(atom).join(', ')}]` : atom(v as Atom);
}

function atom(v: Value | undefined): string {
  if (v === undefined || Array.isArray(v)) return '';
  return String(fromValue(v));
}

const id = (v: SourceVerdict) => v.sourceId;
const verdict = (v: SourceVerdict) => `${v.rule || '(no rule)'}: ${v.reason}`;

function scopeText(field: string, operator: string, value: readonly string[]): string {
  return `${field} ${operator} [${value.join(', ')}]`;
}
