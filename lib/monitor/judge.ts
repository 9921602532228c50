/**
 * The monitor's judgements as pure functions of their inputs, so each can be
 * shown to fire on a constructed fault and stay quiet on healthy data:
 * seasonal volume anomalies, the quality trend, and whether the last
 * scheduled run happened.
 *
 * @module
 */
import { Cron } from "croner";

/** A check's verdict. `insufficient_history` means "cannot judge yet", never "ok". */
export type Status = "ok" | "warning" | "critical" | "insufficient_history";

/** One day's figure. */
export interface DayValue {
  date: string;
  value: number;
}

/** Settings of the volume check. */
export interface VolumeSettings {
  windowDays: number;
  zThreshold: number;
  minHistoryDays: number;
  /** Above this coefficient of variation the window is volatile: median/MAD. */
  volatileCv: number;
  /**
   * The values are counts (orders per day): their spread is at least the
   * Poisson noise sqrt(expected), so a small shop's ordinary day-to-day
   * scatter is not read as an anomaly.
   */
  counts?: boolean;
}

/** The volume verdict for the latest day. */
export interface VolumeVerdict {
  status: Status;
  date: string;
  actual: number;
  expected?: number;
  expected_range?: [number, number];
  z_score?: number;
  direction?: "spike" | "drop";
  method?: "mean_sd" | "median_mad";
  history_days: number;
  message: string;
}

const DAY_MS = 86_400_000;
const weekday = (iso: string) => new Date(`${iso}T00:00:00Z`).getUTCDay();
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r2 = (x: number) => Math.round(x * 100) / 100;

const month = (iso: string) => Number(iso.slice(5, 7)) - 1;

/**
 * Month-of-year factors from the year before `lastMs`, once that year is
 * (mostly) there: each month's mean relative to the year's. They carry what
 * a 28-day window cannot see: a December ramp, the January fall after it,
 * and growth over the year. Undefined with less than 300 days of the year.
 */
function yearlyProfile(
  series: DayValue[],
  lastMs: number,
): number[] | undefined {
  const year = series.filter((d) => {
    const age = (lastMs - Date.parse(`${d.date}T00:00:00Z`)) / DAY_MS;
    return age >= 1 && age <= 365;
  });
  if (year.length < 300) return undefined;
  const overall = mean(year.map((d) => d.value)) || 1;
  return [...Array(12).keys()].map((m) => {
    const same = year.filter((d) => month(d.date) === m).map((d) => d.value);
    return same.length ? (mean(same) / overall) || 1 : 1;
  });
}

/**
 * Judges the last day of `series` (ascending dates) against the trailing
 * window before it, with seasonality divided out: the month of year (from
 * the year before, when the series holds one; see yearlyProfile) and the
 * day of week (each weekday's level relative to the window's mean), so a
 * quiet Sunday is compared with the shop's Sundays, not with its Fridays,
 * and a New Year's Eve with Decembers. Counts get a Poisson floor on their
 * spread. A drop to under half the expected volume beyond the threshold is
 * critical: an outage rarely shows as a huge z on a small shop.
 *
 * @example
 * ```ts
 * const v = judgeVolume(days, { windowDays: 28, zThreshold: 3, minHistoryDays: 14, volatileCv: 0.5, counts: true });
 * v.status; // "ok", "warning", "critical" or "insufficient_history"
 * ```
 */
export function judgeVolume(
  series: DayValue[],
  s: VolumeSettings,
): VolumeVerdict {
  const last = series.at(-1);
  if (!last) {
    return {
      status: "insufficient_history",
      date: "",
      actual: 0,
      history_days: 0,
      message: "no daily figures yet",
    };
  }
  const lastMs = Date.parse(`${last.date}T00:00:00Z`);
  const window = series.filter((d) => {
    const age = (lastMs - Date.parse(`${d.date}T00:00:00Z`)) / DAY_MS;
    return age >= 1 && age <= s.windowDays;
  });
  const base = {
    date: last.date,
    actual: last.value,
    history_days: window.length,
  };
  if (window.length < s.minHistoryDays) {
    return {
      ...base,
      status: "insufficient_history",
      message:
        `insufficient history: ${window.length} of the ${s.minHistoryDays} days needed in the last ${s.windowDays}`,
    };
  }
  const profile = yearlyProfile(series, lastMs);
  const mf = (iso: string) => profile?.[month(iso)] ?? 1;
  const deseasoned = window.map((d) => ({ ...d, value: d.value / mf(d.date) }));
  // Weekday factors; a weekday absent from the window counts as average.
  const overall = mean(deseasoned.map((d) => d.value)) || 1;
  const factor = new Map<number, number>();
  for (let w = 0; w < 7; w++) {
    const same = deseasoned.filter((d) => weekday(d.date) === w).map((d) =>
      d.value
    );
    factor.set(w, same.length ? (mean(same) / overall) || 1 : 1);
  }
  const adjusted = deseasoned.map((d) =>
    d.value / factor.get(weekday(d.date))!
  );
  const f = factor.get(weekday(last.date))! * mf(last.date);
  // The level on the judged day: a robust (Theil-Sen) trend through the
  // window, so steady growth, or a ramp into a peak season, is expected
  // rather than flagged. Outliers barely move a median of slopes.
  const xs = window.map((d) =>
    -(lastMs - Date.parse(`${d.date}T00:00:00Z`)) / DAY_MS
  );
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      slopes.push((adjusted[j] - adjusted[i]) / (xs[j] - xs[i]));
    }
  }
  const trend = slopes.length ? median(slopes) : 0;
  const detrended = adjusted.map((a, i) => a - trend * xs[i]);
  let center = mean(detrended);
  let spread = Math.sqrt(
    detrended.reduce((a, x) => a + (x - center) ** 2, 0) /
      (detrended.length - 1),
  );
  let method: VolumeVerdict["method"] = "mean_sd";
  if (spread / (center || 1) > s.volatileCv) {
    // A volatile window (an outage, a promotion): robust statistics.
    method = "median_mad";
    center = median(detrended);
    spread = 1.4826 * median(detrended.map((x) => Math.abs(x - center)));
  }
  // A perfectly flat history still allows a small relative deviation; a
  // count varies at least by its Poisson noise.
  spread = Math.max(
    spread,
    center * 0.01,
    s.counts ? Math.sqrt(Math.max(center * f, 1)) / f : 0,
    1e-9,
  );
  const expected = center * f;
  const z = (last.value / f - center) / spread;
  const range: [number, number] = [
    r2(Math.max(0, expected - s.zThreshold * spread * f)),
    r2(expected + s.zThreshold * spread * f),
  ];
  const out = {
    ...base,
    expected: r2(expected),
    expected_range: range,
    z_score: r2(z),
    method,
  };
  if (Math.abs(z) <= s.zThreshold) {
    return { ...out, status: "ok", message: `within the expected range` };
  }
  const direction = z > 0 ? "spike" : "drop";
  const outage = direction === "drop" && last.value < 0.5 * expected;
  return {
    ...out,
    direction,
    status: Math.abs(z) > 2 * s.zThreshold || outage ? "critical" : "warning",
    message: `${direction}: ${r2(last.value)} on ${last.date}, expected ${
      range[0]
    }..${range[1]} (z = ${r2(z)})`,
  };
}

/**
 * Least-squares slope of `ys` over their index (points per run).
 *
 * @example
 * ```ts
 * slope([1, 2, 3]); // 1
 * ```
 */
export function slope(ys: number[]): number {
  if (ys.length < 2) return 0;
  const mx = (ys.length - 1) / 2;
  const my = mean(ys);
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

/** The quality verdict from scores oldest first. */
export function judgeQuality(
  scores: number[],
  s: { minScore: number; maxDrop: number },
): {
  status: Status;
  latest?: number;
  trend_slope: number;
  drop?: number;
  message: string;
} {
  const latest = scores.at(-1);
  if (latest === undefined) {
    return {
      status: "insufficient_history",
      trend_slope: 0,
      message: "no quality runs yet",
    };
  }
  const trend = Math.round(slope(scores) * 100) / 100;
  const before = scores.slice(0, -1);
  const drop = before.length ? r2(mean(before) - latest) : 0;
  if (latest < s.minScore) {
    return {
      status: "critical",
      latest,
      trend_slope: trend,
      drop,
      message: `quality score ${latest} is below the minimum ${s.minScore}`,
    };
  }
  if (drop > s.maxDrop) {
    return {
      status: "warning",
      latest,
      trend_slope: trend,
      drop,
      message:
        `quality score dropped ${drop} points to ${latest} (previous runs averaged ${
          r2(mean(before))
        })`,
    };
  }
  return {
    status: "ok",
    latest,
    trend_slope: trend,
    drop,
    message: `quality score ${latest}`,
  };
}

/** A pipeline run as the run history records it. */
export interface RunRecord {
  run_id: string;
  started_at: string;
  status: string;
}

/**
 * Judges the run history against the schedule: ok if the last expected run
 * happened and succeeded; warning if it is late by more than the grace
 * period; critical if the last run failed or an expected run is missing.
 */
export function judgeLastExecution(
  runs: RunRecord[],
  cronExpr: string,
  now: Date,
  s: { graceMinutes: number; missingMinutes: number },
): {
  status: Status;
  message: string;
  expected_at: string | null;
  age_hours: number | null;
} {
  const cron = new Cron(cronExpr, {
    paused: true,
    timezone: "UTC",
    mode: "5-part",
  });
  const last = runs[0]; // newest first
  const [previous] = cron.previousRuns(1, now);
  // The first scheduled time after the last run: due, late or missing.
  const due = last ? cron.nextRun(new Date(last.started_at)) : previous ?? null;
  const expectedAt = (due && due <= now ? due : previous)?.toISOString() ??
    null;
  const ageHours = last
    ? Math.round((now.getTime() - Date.parse(last.started_at)) / 36e3) / 100
    : null;
  const base = { expected_at: expectedAt, age_hours: ageHours };
  if (last?.status === "failed") {
    return {
      ...base,
      status: "critical",
      message: `the last run ${last.run_id} failed`,
    };
  }
  if (last && (!due || due > now)) {
    return {
      ...base,
      status: "ok",
      message: last.status === "running"
        ? `run ${last.run_id} is running`
        : `the last run ${last.run_id} succeeded`,
    };
  }
  const lateMin = due ? (now.getTime() - due.getTime()) / 60_000 : Infinity;
  if (!last || lateMin > s.missingMinutes) {
    return {
      ...base,
      status: "critical",
      message: last
        ? `the run expected at ${expectedAt} is missing (${
          Math.round(lateMin)
        } min overdue)`
        : "no pipeline run recorded",
    };
  }
  if (lateMin > s.graceMinutes) {
    return {
      ...base,
      status: "warning",
      message: `the run expected at ${expectedAt} is ${
        Math.round(lateMin)
      } min late`,
    };
  }
  return {
    ...base,
    status: "ok",
    message: `the run expected at ${expectedAt} is due (within grace)`,
  };
}
