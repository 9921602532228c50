/**
 * What every stage returns, so the orchestrator and the benchmark can report
 * rows and timings the same way for all of them.
 *
 * @module
 */

/** The outcome of one stage run. */
export interface StageResult {
  /** Rows the stage produced or processed (never null in reports). */
  rows: number;
  /** The one-line summary printed at the end. */
  summary: string;
  /** Warnings worth surfacing in the pipeline report. */
  warnings?: string[];
}

/** Formats a count with thousands separators. */
export function n(value: number): string {
  return value.toLocaleString("en-US");
}

/** Seconds since `start` (a `performance.now()` value), rounded to 0.1 s. */
export function secondsSince(start: number): number {
  return Math.round((performance.now() - start) / 100) / 10;
}

/** `x` rounded to `digits` decimals (default 3, milliseconds for seconds). */
export function round(x: number, digits = 3): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
