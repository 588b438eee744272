// Live facts by id. Ids only grow, and most facts are transient (asserted and retracted within
// one request), so the live ids cluster at the top of the range: the newest ids sit in a ring
// array indexed by `id & mask` (a lookup is one array read, an assert or retract one write),
// and the long-lived facts the ring's window moves past go to chunks of an id range. Neither
// re-hashes nor keeps a reference to a retracted fact; a single Map over all facts would
// instead re-hash its whole table every few thousand deletes, which with 100k resident facts is
// a multi-megabyte allocation and a long GC pause (see key-map.ts).
import type { Fact } from './fact.ts';
import { KeyMap } from './key-map.ts';

const MIN_RING = 64;
/** A sparse ring halves only down to this size: smaller rings cost little, and the live count
 *  of a small ring swings with every request (shrinking would make it grow again each time). */
const SHRINK_FLOOR = 1 << 12;
/** Only a ring this large that empties completely gives its memory back (see key-map.ts). */
const RELEASE_RING = 1 << 16;

function emptyRing(size: number): Array<Fact | undefined> {
  return new Array<Fact | undefined>(size).fill(undefined);
}

export class FactTable {
  /** Facts with ids in the window [lo, lo + ring.length), fact `id` at `id & mask`. */
  private ring = emptyRing(MIN_RING);
  private mask = MIN_RING - 1;
  private lo = 0;
  /** Live facts in the ring. */
  private ringLive = 0;
  /** Live facts with ids below `lo`. */
  private readonly old = new Chunks();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: number): Fact | undefined {
    // The id check also rejects ids outside the window (and non-integers) that share a slot.
    const f = this.ring[id & this.mask];
    if (f !== undefined && f.id === id) return f;
    return this.old.count === 0 ? undefined : this.old.get(id);
  }

  add(fact: Fact): void {
    const id = fact.id;
    // An empty table puts its window anywhere (ids restart at 0 after a reset).
    if (this.count === 0) this.lo = id;
    else if (id < this.lo) {
      this.old.add(fact);
      this.count++;
      return;
    } else if (id - this.lo > this.mask) this.advance(id);
    this.ring[id & this.mask] = fact;
    this.ringLive++;
    this.count++;
  }

  delete(fact: Fact): void {
    const i = fact.id & this.mask;
    if (this.ring[i] === fact) {
      this.ring[i] = undefined;
      this.ringLive--;
    } else if (!this.old.delete(fact)) return;
    if (--this.count === 0 && this.ring.length > RELEASE_RING) this.resize(MIN_RING);
  }

  clear(): void {
    this.ring.fill(undefined);
    if (this.ring.length > MIN_RING) this.resize(MIN_RING);
    this.old.clear();
    this.ringLive = 0;
    this.count = 0;
    this.lo = 0;
  }

  [Symbol.iterator](): IterableIterator<Fact> {
    return this.values();
  }

  /** Live facts in id order (those live when the iteration starts). */
  *values(): IterableIterator<Fact> {
    const out = this.old.sorted();
    const ring = this.ring;
    for (let d = 0; d < ring.length; d++) {
      const f = ring[(this.lo + d) & this.mask];
      if (f !== undefined) out.push(f);
    }
    yield* out;
  }

  /** Makes room for `id` above the window: a dense ring doubles (no fact moves); otherwise the
   *  window slides up, moving the long-lived facts it leaves behind to `old`, and a sparse ring
   *  halves (grown for facts that have since gone, it would stay large forever). */
  private advance(id: number): void {
    const size = this.ring.length;
    if (this.ringLive * 2 >= size && id - this.lo < 2 * size) {
      this.resize(2 * size);
      return;
    }
    const target = this.ringLive * 8 < size && size > SHRINK_FLOOR ? size >> 1 : size;
    // Slides an eighth of the ring at least, not one id per add.
    const lo = Math.max(id - target + 1, this.lo + (size >> 3));
    // Ids below the new window (at most one pass over the ring, however far the jump). Whole
    // aligned id ranges move as one chunk each: the window passing over the facts loaded at
    // start moves tens of thousands of them at once, which fact by fact (a chunk lookup each)
    // took milliseconds inside one request.
    const end = Math.min(lo, this.lo + size);
    for (let k = this.lo; k < end; ) {
      if (k % CHUNK === 0 && k + CHUNK <= end) {
        this.ringLive -= this.old.adopt(this.ring, this.mask, k);
        k += CHUNK;
        continue;
      }
      const f = this.ring[k & this.mask];
      if (f !== undefined) {
        this.ring[k & this.mask] = undefined;
        this.ringLive--;
        this.old.add(f);
      }
      k++;
    }
    this.lo = lo;
    // What is left lies in [lo, old lo + size), inside the new window [lo, lo + target).
    if (target < size) this.resize(target);
  }

  private resize(size: number): void {
    const old = this.ring;
    this.ring = emptyRing(size);
    this.mask = size - 1;
    for (let k = 0; k < old.length; k++) {
      const f = old[k];
      if (f !== undefined) this.ring[f.id & this.mask] = f;
    }
    // The old ring may already sit in the old generation: leave nothing reachable from it.
    old.fill(undefined);
  }
}

// Long-lived facts in fixed-size chunks of an id range (a lookup is two array/map reads): one
// word per id where they are dense (facts loaded at start), a chunk per fact at worst.
const CHUNK_BITS = 6;
const CHUNK = 1 << CHUNK_BITS;

const EMPTY_CHUNK: ReadonlyArray<Fact | undefined> = new Array<Fact | undefined>(CHUNK).fill(
  undefined,
);

class Chunk {
  live = 0;
  // Copied, not built at a literal/constructor site V8 may pretenure (see key-map.ts).
  readonly slots = EMPTY_CHUNK.slice();
}

class Chunks {
  /** Chunks by `id >> CHUNK_BITS`. */
  private readonly chunks = new KeyMap<Chunk>();
  count = 0;

  get(id: number): Fact | undefined {
    const f = this.chunks.get(Math.floor(id / CHUNK))?.slots[id & (CHUNK - 1)];
    return f !== undefined && f.id === id ? f : undefined;
  }

  add(fact: Fact): void {
    const key = Math.floor(fact.id / CHUNK);
    let chunk = this.chunks.get(key);
    if (chunk === undefined) {
      chunk = new Chunk();
      this.chunks.set(key, chunk);
    }
    chunk.slots[fact.id & (CHUNK - 1)] = fact;
    chunk.live++;
    this.count++;
  }

  /** Takes the facts of ids [base, base + CHUNK) out of a ring (`base` a multiple of CHUNK)
   *  with one chunk lookup; returns how many there were. */
  adopt(ring: Array<Fact | undefined>, mask: number, base: number): number {
    const key = base / CHUNK;
    let chunk = this.chunks.get(key) ?? null;
    let n = 0;
    for (let i = 0; i < CHUNK; i++) {
      const k = (base + i) & mask;
      const f = ring[k];
      if (f === undefined) continue;
      ring[k] = undefined;
      if (chunk === null) {
        chunk = new Chunk();
        this.chunks.set(key, chunk);
      }
      chunk.slots[i] = f;
      n++;
    }
    if (chunk !== null) chunk.live += n;
    this.count += n;
    return n;
  }

  /** False when the fact is not here. */
  delete(fact: Fact): boolean {
    if (this.count === 0) return false;
    const key = Math.floor(fact.id / CHUNK);
    const chunk = this.chunks.get(key);
    const i = fact.id & (CHUNK - 1);
    if (chunk?.slots[i] !== fact) return false;
    chunk.slots[i] = undefined;
    this.count--;
    if (--chunk.live === 0) this.chunks.delete(key);
    return true;
  }

  clear(): void {
    this.chunks.clear();
    this.count = 0;
  }

  /** Live facts in id order. */
  sorted(): Fact[] {
    const keys = [...this.chunks.keysList()].sort((a, b) => (a as number) - (b as number));
    const out: Fact[] = [];
    for (const k of keys) {
      const chunk = this.chunks.get(k) as Chunk;
      for (const f of chunk.slots) if (f !== undefined) out.push(f);
    }
    return out;
  }
}
