// A hash map for the network's memories (join buckets, duplicate detection, facts by id).
// V8's Map keeps the entries of a deleted or re-hashed table reachable from its (long-lived,
// old-generation) table until the next full GC, so a Map whose keys churn on every request
// drags each request's garbage through every young-generation collection: multi-millisecond
// pauses. This table uses open addressing with backward-shift deletion: a removed entry leaves
// no reference behind, and a grown table's old arrays are cleared before they are dropped.
// Keys compare with `===`; join keys are atoms (strings, Syms, bigints, floats, facts) or
// small integers.
import { mixInt, valueHash } from './fact-index.ts';
import { Sym, type Value } from './values.ts';

const EMPTY: unknown = Symbol('empty');
const MIN_CAPACITY = 8;
/** Tables keep their size while they drain (a join's memory typically fills and empties again,
 * per request or per cycle of a program, and resizing on the way down and up again cost up to
 * 9 % of a run); only a very large table that empties completely gives its memory back. */
const RELEASE_CAPACITY = 1 << 16;

/** A 32-bit hash of a key, consistent with `===` (0 and -0 alike). */
export function keyHash(k: unknown): number {
  switch (typeof k) {
    case 'string': {
      // Two UTF-16 units per step; mixInt spreads the high half into the low bits.
      const n = k.length;
      let h = 0x811c9dc5 ^ n;
      let i = 0;
      for (; i + 1 < n; i += 2)
        h = Math.imul(h ^ (k.charCodeAt(i) | (k.charCodeAt(i + 1) << 16)), 0x01000193);
      if (i < n) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
      return mixInt(h);
    }
    case 'number':
      return (k | 0) === k ? mixInt(k) : valueHash(k);
    case 'object':
      if (k === null) return 0;
      if (k instanceof Sym) return mixInt(k.id);
      if (Array.isArray(k)) return valueHash(k as Value);
      return mixInt((k as { id: number }).id ^ 0x5bd1e995);
    case 'bigint':
      return valueHash(k);
    case 'undefined':
      return 0x2545f491;
    default:
      return 0;
  }
}

export class KeyMap<V> {
  private keys: unknown[];
  private vals: Array<V | undefined>;
  /** Each slot's key hash, so deletion and growth never rehash a key. */
  private hashes: Int32Array;
  private mask: number;
  private count = 0;

  constructor() {
    this.keys = new Array<unknown>(MIN_CAPACITY).fill(EMPTY);
    this.vals = new Array<V | undefined>(MIN_CAPACITY).fill(undefined);
    this.hashes = new Int32Array(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
  }

  get size(): number {
    return this.count;
  }

  get(key: unknown): V | undefined {
    return this.getH(key, keyHash(key));
  }

  /** `get` with the key's `keyHash` already computed. */
  getH(key: unknown, h: number): V | undefined {
    const keys = this.keys;
    const mask = this.mask;
    // Keys only: the hash array is a second cache miss in a large table.
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) return this.vals[i];
      if (k === EMPTY) return undefined;
    }
  }

  set(key: unknown, value: V): void {
    this.setH(key, keyHash(key), value);
  }

  setH(key: unknown, h: number, value: V): void {
    this.swapH(key, h, value);
  }

  /** `setH` that returns the value it replaced (undefined for a new key): one probe where
   *  `getH` then `setH` would take two. */
  swapH(key: unknown, h: number, value: V): V | undefined {
    const keys = this.keys;
    const mask = this.mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) {
        const old = this.vals[i];
        this.vals[i] = value;
        return old;
      }
      if (k === EMPTY) break;
    }
    keys[i] = key;
    this.hashes[i] = h;
    this.vals[i] = value;
    // Load factor at most 1/2 keeps probe sequences short.
    if (++this.count * 2 > keys.length) this.resize(keys.length * 2);
    return undefined;
  }

  delete(key: unknown): boolean {
    return this.deleteH(key, keyHash(key));
  }

  deleteH(key: unknown, h: number): boolean {
    const keys = this.keys;
    const vals = this.vals;
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) break;
      if (k === EMPTY) return false;
    }
    // Backward-shift deletion: move later members of the probe run into the gap, so no
    // tombstone (and no stale reference) is left behind.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = keys[j];
      if (k === EMPTY) break;
      const home = (hashes[j] as number) & mask;
      // Move k into the gap at i when its home slot does not lie cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        keys[i] = k;
        vals[i] = vals[j];
        hashes[i] = hashes[j] as number;
        i = j;
      }
    }
    keys[i] = EMPTY;
    vals[i] = undefined;
    this.count--;
    if (this.count === 0 && keys.length > RELEASE_CAPACITY) this.resize(MIN_CAPACITY);
    return true;
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.vals.fill(undefined);
    if (this.keys.length > MIN_CAPACITY) this.resize(MIN_CAPACITY);
    this.count = 0;
  }

  /** Values in table order (unspecified); the map must not change while iterating. */
  *values(): IterableIterator<V> {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) yield this.vals[i] as V;
  }

  /** Keys in table order (unspecified). */
  *keysList(): IterableIterator<unknown> {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) yield keys[i];
  }

  private resize(capacity: number): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const oldHashes = this.hashes;
    const keys = new Array<unknown>(capacity).fill(EMPTY);
    const vals = new Array<V | undefined>(capacity).fill(undefined);
    const hashes = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let j = 0; j < oldKeys.length; j++) {
      const k = oldKeys[j];
      if (k === EMPTY) continue;
      const h = oldHashes[j] as number;
      let i = h & mask;
      while (keys[i] !== EMPTY) i = (i + 1) & mask;
      keys[i] = k;
      vals[i] = oldVals[j];
      hashes[i] = h;
    }
    this.keys = keys;
    this.vals = vals;
    this.hashes = hashes;
    this.mask = mask;
    // The old arrays may already sit in the old generation: leave nothing reachable from them.
    oldKeys.fill(undefined);
    oldVals.fill(undefined);
  }
}
