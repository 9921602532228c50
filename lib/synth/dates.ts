/**
 * Calendar arithmetic on day numbers (days since 1970-01-01, UTC), and the
 * seasonal order-date distribution: busier weekends and a strong
 * November/December, like real retail.
 *
 * @module
 */
import { lowerBound } from "./rng.ts";

const DAY_MS = 86_400_000;

/** Day number of an ISO date `YYYY-MM-DD`. */
export function dayOf(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

/** ISO date `YYYY-MM-DD` of a day number. */
export function isoOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Day of week of a day number, 0 = Monday ... 6 = Sunday. */
export function weekdayOf(day: number): number {
  return (day + 3) % 7; // 1970-01-01 was a Thursday
}

/** Relative order volume per weekday (Mon..Sun). */
export const WEEKDAY_FACTOR = [0.92, 0.9, 0.93, 0.97, 1.08, 1.22, 1.14];
/** Relative order volume per month (Jan..Dec). */
export const MONTH_FACTOR = [
  0.82,
  0.8,
  0.9,
  0.92,
  0.96,
  0.95,
  1.0,
  1.0,
  0.94,
  1.0,
  1.3,
  1.55,
];

/** Seasonal sampling of order days in [first, last]. */
export class SeasonalDays {
  readonly first: number;
  readonly last: number;
  readonly #cum: Float64Array;
  readonly #iso: string[];

  constructor(first: number, last: number) {
    this.first = first;
    this.last = last;
    const n = last - first + 1;
    this.#cum = new Float64Array(n);
    this.#iso = new Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const d = first + i;
      const month = new Date(d * DAY_MS).getUTCMonth();
      sum += WEEKDAY_FACTOR[weekdayOf(d)] * MONTH_FACTOR[month];
      this.#cum[i] = sum;
      this.#iso[i] = isoOf(d);
    }
  }

  /** A day >= `notBefore` (clamped to the range), drawn with seasonal weights from `u` in [0,1). */
  draw(u: number, notBefore: number): number {
    const from = Math.max(0, notBefore - this.first);
    const lo = from === 0 ? 0 : this.#cum[from - 1];
    const total = this.#cum[this.#cum.length - 1];
    return this.first + lowerBound(this.#cum, lo + u * (total - lo));
  }

  /** ISO string of a day in the range (cached). */
  iso(day: number): string {
    const i = day - this.first;
    return i >= 0 && i < this.#iso.length ? this.#iso[i] : isoOf(day);
  }
}
