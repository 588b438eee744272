// Time and working-memory host functions. "Now" is the engine's injected clock, never the wall
// clock, so replaying the same operations gives the same answers. The working-memory functions
// count facts when the test is evaluated; like any CLIPS test CE they are not re-evaluated when
// the counted facts change later.
import type { Engine, Fact, Value } from '../../engine/index.ts';
import { atomText, numberOf } from './values.ts';

/** True when `now - ts < window` (non-numeric arguments: FALSE). */
export function changedWithin(now: number, ts: Value, window: Value): boolean {
  const t = numberOf(ts);
  const w = numberOf(window);
  return t !== undefined && w !== undefined && now - t < w;
}

function factsOf(engine: Engine, template: Value): Fact[] {
  const name = atomText(template);
  // findTemplate without `create`: an unknown name must not define an ordered-fact template.
  if (name === undefined || engine.findTemplate(name, false) === undefined) return [];
  return engine.facts({ template: name });
}

const slotText = (f: Fact, slot: Value): string | undefined => {
  const v = f.get(atomText(slot) ?? '');
  return v === undefined ? undefined : atomText(v);
};

function matching(engine: Engine, template: Value, slot: Value, value: Value): Fact[] {
  const wanted = atomText(value);
  return factsOf(engine, template).filter((f) => slotText(f, slot) === wanted);
}

export function countExceeds(
  engine: Engine,
  t: Value,
  s: Value,
  v: Value,
  threshold: Value,
): boolean {
  return matching(engine, t, s, v).length > (numberOf(threshold) ?? Number.POSITIVE_INFINITY);
}

export function lastN(engine: Engine, t: Value, s: Value, v: Value, n: Value): boolean {
  return matching(engine, t, s, v).length >= (numberOf(n) ?? Number.POSITIVE_INFINITY);
}

export function rateExceeds(
  engine: Engine,
  t: Value,
  s: Value,
  v: Value,
  threshold: Value,
  window: Value,
  tsSlot: Value = 'ts',
): boolean {
  const now = engine.clock();
  const w = numberOf(window);
  if (w === undefined) return false;
  const recent = matching(engine, t, s, v).filter((f) => {
    const ts = f.get(atomText(tsSlot) ?? '');
    const n = ts === undefined ? undefined : numberOf(ts);
    return n !== undefined && now - n < w;
  });
  return recent.length > (numberOf(threshold) ?? Number.POSITIVE_INFINITY);
}

/** True when some `group` value has more than `threshold` distinct `count` values. */
export function distinctCount(
  engine: Engine,
  t: Value,
  group: Value,
  count: Value,
  threshold: Value,
): boolean {
  const limit = numberOf(threshold) ?? Number.POSITIVE_INFINITY;
  const groups = new Map<string | undefined, Set<string | undefined>>();
  for (const f of factsOf(engine, t)) {
    const g = slotText(f, group);
    const set = groups.get(g) ?? new Set();
    set.add(slotText(f, count));
    groups.set(g, set);
  }
  return [...groups.values()].some((s) => s.size > limit);
}

interface SequenceEvent {
  readonly template: string;
  readonly slot: string;
  readonly value: unknown;
  readonly slot_ts?: string;
}

/**
 * True when the events happened in order: each event is matched to the earliest fact whose
 * timestamp is strictly after the previous event's, and the first one is within `window`.
 */
export function sequenceDetected(engine: Engine, eventsJson: Value, window: Value): boolean {
  let events: SequenceEvent[];
  try {
    events = JSON.parse(atomText(eventsJson) ?? '') as SequenceEvent[];
  } catch {
    return false;
  }
  const w = numberOf(window);
  if (!Array.isArray(events) || events.length === 0 || w === undefined) return false;
  let previous = Number.NEGATIVE_INFINITY;
  let first: number | undefined;
  for (const e of events) {
    const stamps = matching(engine, e.template, e.slot, String(e.value))
      .map((f) => {
        const ts = f.get(e.slot_ts ?? 'ts');
        return ts === undefined ? undefined : numberOf(ts);
      })
      .filter((n): n is number => n !== undefined && n > previous);
    if (stamps.length === 0) return false;
    previous = Math.min(...stamps);
    first ??= previous;
  }
  return first !== undefined && engine.clock() - first < w;
}
