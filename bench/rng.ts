// A small seeded PRNG (mulberry32) for the benches' generated workloads: same seed, same data.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  /** `k` distinct elements, in the order drawn. */
  sample<T>(xs: readonly T[], k: number): T[] {
    const pool = xs.slice();
    const out: T[] = [];
    for (let i = 0; i < k && pool.length > 0; i++)
      out.push(pool.splice(this.int(pool.length), 1)[0] as T);
    return out;
  }
}
