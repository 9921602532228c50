/**
 * A small, fast, seedable PRNG (sfc32). Faker is used for vocabulary pools;
 * the millions of per-row draws go through this, which keeps generation at
 * scale 100 within seconds and byte-identical for a given seed.
 *
 * @module
 */

/** Deterministic random numbers from a seed and a stream name. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Streams with different names are independent for the same seed. */
  constructor(seed: number, stream = "") {
    let h = 1779033703 ^ stream.length;
    for (const ch of `${seed}:${stream}`) {
      h = Math.imul(h ^ ch.charCodeAt(0), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    const next = () => {
      h = Math.imul(h ^ (h >>> 16), 2246822507);
      h = Math.imul(h ^ (h >>> 13), 3266489909);
      return (h ^= h >>> 16) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform float in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Index into cumulative weights `cum` (last element = total). */
  weighted(cum: readonly number[] | Float64Array): number {
    const u = this.next() * cum[cum.length - 1];
    return lowerBound(cum, u);
  }

  /** `k` distinct integers from [0, n), in random order (Floyd's algorithm). */
  sample(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`Cannot sample ${k} of ${n}`);
    const chosen = new Set<number>();
    for (let j = n - k; j < n; j++) {
      const t = this.int(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    return this.shuffle([...chosen]);
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/**
 * Cumulative Zipf-like weights 1 / (rank + offset)^s over `n` ranks. The
 * offset (a share of n) flattens the head, so the best seller is a few
 * percent of sales rather than a fifth, while the top 20 % still sell most.
 */
export function zipfCumulative(
  n: number,
  s: number,
  offsetShare: number,
): Float64Array {
  const cum = new Float64Array(n);
  const offset = Math.max(1, n * offsetShare);
  let sum = 0;
  for (let i = 0; i < n; i++) cum[i] = sum += 1 / (i + offset) ** s;
  return cum;
}

/** Cumulative sums of `weights`. */
export function cumulative(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}

/** First index i with cum[i] > u (binary search). */
export function lowerBound(
  cum: readonly number[] | Float64Array,
  u: number,
): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
