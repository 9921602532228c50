/**
 * The dates a record may carry. A transaction or registration dated after the
 * business day being loaded (today for a full load), with one day of slack
 * for time zones, or before `quality.earliestDate` (2000-01-01 by default, so
 * real histories are never cut) did not happen as recorded: it is rejected
 * by the transform and counted by the quality checks, and so never reaches
 * the warehouse, the analytics, the dashboard or the Power BI calendar.
 *
 * @example
 * ```ts
 * plausibleRange({ quality: { earliestDate: "2000-01-01" } }, "2026-01-05");
 * // { earliest: "2000-01-01", latest: "2026-01-06" }
 * ```
 *
 * @module
 */

/** The inclusive range of plausible dates, as `YYYY-MM-DD`. */
export interface PlausibleRange {
  earliest: string;
  latest: string;
}

/** The range for a load of `businessDate` (a daily run) or of today. */
export function plausibleRange(
  config: { quality: { earliestDate: string } },
  businessDate?: string,
  today: Date = new Date(),
): PlausibleRange {
  const day = businessDate
    ? new Date(`${businessDate}T00:00:00Z`)
    : new Date(today.toISOString().slice(0, 10) + "T00:00:00Z");
  day.setUTCDate(day.getUTCDate() + 1);
  return {
    earliest: config.quality.earliestDate,
    latest: day.toISOString().slice(0, 10),
  };
}
