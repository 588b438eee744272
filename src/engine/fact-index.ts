// Duplicate detection for one template: facts by a numeric hash of their slot values, each hit
// confirmed by comparing the values (CLIPS never holds two identical facts). Numeric keys keep
// the table small and avoid building a key string for every assert.
import type { Fact } from './fact.ts';
import { KeyMap } from './key-map.ts';
import { type FactRef, Sym, sameValue, type Value } from './values.ts';

const floatView = new DataView(new ArrayBuffer(8));

function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193);
}

function hashString(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
  return h;
}

/** A 32-bit hash of a value; equal values (in the `sameValue` sense) hash alike. */
export function valueHash(v: Value, seed = 0x811c9dc5): number {
  switch (typeof v) {
    case 'string':
      return hashString(v, mix(seed, 1));
    case 'bigint': {
      const n = Number(v);
      if (!Number.isSafeInteger(n)) return hashString(v.toString(), mix(seed, 2));
      return mix(mix(mix(seed, 2), n | 0), Math.floor(n / 4294967296) | 0);
    }
    case 'number':
      // 0 and -0 are sameValue-equal, so they must hash alike.
      floatView.setFloat64(0, v === 0 ? 0 : v);
      return mix(mix(mix(seed, 3), floatView.getInt32(0)), floatView.getInt32(4));
    default:
      if (v instanceof Sym) return mix(mix(seed, 4), v.id);
      if (Array.isArray(v)) {
        let h = mix(seed, 5 + v.length);
        for (const a of v as readonly Value[]) h = valueHash(a, h);
        return h;
      }
      return mix(mix(seed, 6), (v as FactRef).id);
  }
}

export function slotsHash(slots: readonly Value[]): number {
  let h = 0x811c9dc5;
  for (const v of slots) h = valueHash(v, h);
  return h;
}

function sameSlots(a: readonly Value[], b: readonly Value[]): boolean {
  for (let i = 0; i < a.length; i++) if (!sameValue(a[i] as Value, b[i] as Value)) return false;
  return true;
}

export class FactIndex {
  private readonly byHash = new KeyMap<Fact | Fact[]>();

  /** The live fact with exactly these slot values, if any. */
  find(slots: readonly Value[], hash: number): Fact | undefined {
    const hit = this.byHash.get(hash);
    if (hit === undefined) return undefined;
    if (!Array.isArray(hit)) return sameSlots(hit.slots, slots) ? hit : undefined;
    return hit.find((f) => sameSlots(f.slots, slots));
  }

  add(fact: Fact): void {
    const hit = this.byHash.get(fact.hash);
    if (hit === undefined) this.byHash.set(fact.hash, fact);
    else if (Array.isArray(hit)) hit.push(fact);
    else this.byHash.set(fact.hash, [hit, fact]);
  }

  delete(fact: Fact): void {
    const hit = this.byHash.get(fact.hash);
    if (hit === fact) this.byHash.delete(fact.hash);
    else if (Array.isArray(hit)) {
      const rest = hit.filter((f) => f !== fact);
      this.byHash.set(fact.hash, rest.length === 1 ? (rest[0] as Fact) : rest);
    }
  }
}
