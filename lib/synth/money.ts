/**
 * Money as integer cents, so derived amounts are exact and match
 * PostgreSQL's numeric rounding (half away from zero).
 *
 * @module
 */

/** Formats cents as a decimal with two places: -1234 -> "-12.34". */
export function money(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  const frac = abs % 100;
  return `${sign}${Math.floor(abs / 100)}.${frac < 10 ? "0" : ""}${frac}`;
}

/** `numerator / divisor` rounded half away from zero (both integers, divisor > 0). */
export function roundCents(numerator: number, divisor: number): number {
  const q = Math.floor((Math.abs(numerator) * 2 + divisor) / (2 * divisor));
  return numerator < 0 ? -q : q;
}

/** Whole cents of a money string, e.g. `"12.30"` -> 1230. */
export function cents(money: string): number {
  return Math.round(Number(money) * 100);
}
