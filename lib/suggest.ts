/**
 * "Did you mean ...?" for mistyped subcommands and flags: the closest known
 * name by edit distance, when it is close enough to be a typo.
 *
 * @example
 * ```ts
 * closest("transfrom", ["transform", "warehouse"]); // "transform"
 * closest("xyz", ["transform"]); // undefined
 * ```
 *
 * @module
 */

/** Levenshtein distance between `a` and `b` (insert, delete, substitute; a swap counts 1). */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => [i, ...Array(b.length).fill(0)],
  );
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + cost,
      );
      // A transposition of neighbours is one typo, not two.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The known name closest to `input`, if within a third of its length (at least 2). */
export function closest(input: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(input.length / 3)) + 1;
  for (const k of known) {
    const dist = distance(input, k);
    if (dist < bestDistance) {
      best = k;
      bestDistance = dist;
    }
  }
  return best;
}
