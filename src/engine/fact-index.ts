// Duplicate detection for one template: facts by a numeric hash of their slot values, each hit
// confirmed by comparing the values (CLIPS never holds two identical facts). Numeric keys keep
// the table small and avoid building a key string for every assert.
import type { Fact } from './fact.ts';
import { type FactRef, Sym, sameValue, type Value } from './values.ts';

const floatView = new DataView(new ArrayBuffer(8));

function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193);
}

/** Two UTF-16 units per step (half the multiplications); the length tells "a" from "a\0".
 *  Callers' tables spread the bits with `mixInt` (below) before using the low ones. */
function hashString(s: string, seed: number): number {
  const n = s.length;
  let h = mix(seed, n);
  let i = 0;
  for (; i + 1 < n; i += 2) h = mix(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h = mix(h, s.charCodeAt(i));
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

/** The hash of a fact's slot values: the sum of each slot's `slotHash`, so a modify can
 *  update it for the slots it changes instead of hashing every value again. */
export function slotsHash(slots: readonly Value[]): number {
  let h = 0;
  for (let i = 0; i < slots.length; i++) h = (h + slotHash(slots[i] as Value, i)) | 0;
  return h;
}

/** One slot's share of `slotsHash` (the position is mixed in: swapped values hash apart).
 *  Avalanched: `valueHash` is nearly linear in a small integer, and a sum of such hashes
 *  would collide heavily (pairs of integers below 400 gave 1,023 distinct sums). */
export function slotHash(v: Value, i: number): number {
  // Not `valueHash` (join keys and tables hash with that): this hash only has to agree with
  // itself, so the commonest slot values, symbols and small integers, take a shorter path.
  const seed = Math.imul(i + 1, 0x9e3779b1);
  let h: number;
  if (v instanceof Sym) h = mix(seed ^ 4, v.id);
  else if (typeof v === 'bigint') {
    const n = Number(v);
    h = (n | 0) === n ? mix(seed ^ 2, n) : valueHash(v, seed);
  } else h = valueHash(v, seed);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function sameSlots(a: readonly Value[], b: readonly Value[]): boolean {
  for (let i = 0; i < a.length; i++) if (!sameValue(a[i] as Value, b[i] as Value)) return false;
  return true;
}

/** Live facts by id (the engine's `FactTable`). */
export interface FactsById {
  get(id: number): Fact | undefined;
}

const MIN_SLOTS = 8;
/** Only a table this large that empties completely gives its memory back (see key-map.ts). */
const RELEASE_SLOTS = 1 << 16;

/** Spreads a 32-bit hash's bits (murmur-style finalizer) before its low bits pick a slot. */
export function mixInt(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return h ^ (h >>> 16);
}

/** Where a hash's probe run starts (its bits spread: slot hashes are sums). */
const home = mixInt;

/**
 * Duplicate detection for one template: an open-addressing table of (slots hash, fact id)
 * pairs, each hit confirmed by comparing the values of the fact the id names; equal hashes sit
 * side by side in one probe run, deletion shifts the run back (no tombstones).
 *
 * The table is a Float64Array, not an array of facts: a template with 100k resident facts
 * made a multi-megabyte old-generation array that every assert wrote a young fact into (a
 * remembered-set entry each, for the next scavenge) and that full GCs had to trace. A typed
 * array holds no pointers, so the GC never looks at it, and a probe reads one cache line.
 */
export class FactIndex {
  /** Per slot: the hash at `2i`, the fact id + 1 at `2i + 1` (0: empty slot). */
  private table = new Float64Array(2 * MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  private count = 0;

  /** The live fact with exactly these slot values, if any. */
  find(slots: readonly Value[], hash: number, facts: FactsById): Fact | undefined {
    const t = this.table;
    const mask = this.mask;
    for (let i = home(hash) & mask; ; i = (i + 1) & mask) {
      const id1 = t[2 * i + 1] as number;
      if (id1 === 0) return undefined;
      if (t[2 * i] === hash) {
        const f = facts.get(id1 - 1);
        if (f !== undefined && sameSlots(f.slots, slots)) return f;
      }
    }
  }

  add(fact: Fact): void {
    // Load factor at most 1/2 keeps probe runs short.
    if ((this.count + 1) * 2 > this.mask + 1) this.resize(2 * (this.mask + 1));
    this.place(fact.hash, fact.id + 1);
    this.count++;
  }

  delete(fact: Fact): void {
    const t = this.table;
    const mask = this.mask;
    const id1 = fact.id + 1;
    let i = home(fact.hash) & mask;
    for (; ; i = (i + 1) & mask) {
      const x = t[2 * i + 1] as number;
      if (x === id1) break;
      if (x === 0) return;
    }
    // Backward-shift deletion: move later members of the probe run into the gap when their
    // home does not lie cyclically in (i, j].
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const x = t[2 * j + 1] as number;
      if (x === 0) break;
      const h = home(t[2 * j] as number) & mask;
      if (i <= j ? h <= i || h > j : h <= i && h > j) {
        t[2 * i] = t[2 * j] as number;
        t[2 * i + 1] = x;
        i = j;
      }
    }
    t[2 * i] = 0;
    t[2 * i + 1] = 0;
    this.count--;
    if (this.count === 0 && mask + 1 > RELEASE_SLOTS) this.resize(MIN_SLOTS);
  }

  private place(hash: number, id1: number): void {
    const t = this.table;
    const mask = this.mask;
    let i = home(hash) & mask;
    while (t[2 * i + 1] !== 0) i = (i + 1) & mask;
    t[2 * i] = hash;
    t[2 * i + 1] = id1;
  }

  private resize(slots: number): void {
    const old = this.table;
    this.table = new Float64Array(2 * slots);
    this.mask = slots - 1;
    for (let j = 0; j < old.length; j += 2) {
      const id1 = old[j + 1] as number;
      if (id1 !== 0) this.place(old[j] as number, id1);
    }
  }
}
