// The benches' generated workloads draw from a seeded PRNG (src/prng.ts): same seed, same data.
import { seededRandom } from '../src/prng.ts';

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
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
