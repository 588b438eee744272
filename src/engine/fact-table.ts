// Live facts by id. Ids only grow, so facts are kept in fixed-size chunks of an id range: a
// lookup is two array/map reads, and churn (transient facts asserted and retracted on every
// request) only creates and drops small chunks. A single Map over all facts would instead
// re-hash its whole table every few thousand deletes, which with 100k resident facts is a
// multi-megabyte allocation and a long GC pause.
import type { Fact } from './fact.ts';
import { KeyMap } from './key-map.ts';

// Small chunks: a chunk lives as long as any fact of its id range, so chunks of transient facts
// die young, within the request that filled them.
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

export class FactTable {
  /** Chunks by `id >> CHUNK_BITS`, created in increasing id order. */
  private readonly chunks = new KeyMap<Chunk>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: number): Fact | undefined {
    return this.chunks.get(id >> CHUNK_BITS)?.slots[id & (CHUNK - 1)];
  }

  add(fact: Fact): void {
    const key = fact.id >> CHUNK_BITS;
    let chunk = this.chunks.get(key);
    if (chunk === undefined) {
      chunk = new Chunk();
      this.chunks.set(key, chunk);
    }
    chunk.slots[fact.id & (CHUNK - 1)] = fact;
    chunk.live++;
    this.count++;
  }

  delete(fact: Fact): void {
    const key = fact.id >> CHUNK_BITS;
    const chunk = this.chunks.get(key);
    const i = fact.id & (CHUNK - 1);
    if (chunk?.slots[i] !== fact) return;
    chunk.slots[i] = undefined;
    this.count--;
    if (--chunk.live === 0) this.chunks.delete(key);
  }

  clear(): void {
    this.chunks.clear();
    this.count = 0;
  }

  [Symbol.iterator](): IterableIterator<Fact> {
    return this.values();
  }

  /** Live facts in id order. */
  *values(): IterableIterator<Fact> {
    const keys = [...this.chunks.keysList()].sort((a, b) => (a as number) - (b as number));
    for (const k of keys) {
      const chunk = this.chunks.get(k);
      if (chunk === undefined) continue;
      for (const f of chunk.slots) if (f !== undefined) yield f;
    }
  }
}
