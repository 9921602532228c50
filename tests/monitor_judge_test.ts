/**
 * The monitor's judgements on constructed series: each fires on its fault
 * and stays quiet on healthy data.
 */
import assert from "node:assert/strict";
import {
  type DayValue,
  judgeLastExecution,
  judgeQuality,
  judgeVolume,
  slope,
} from "../lib/monitor/judge.ts";

const SETTINGS = {
  windowDays: 28,
  zThreshold: 3,
  minHistoryDays: 14,
  volatileCv: 0.5,
};

/** 29 days ending on `last` with a weekend dip: weekdays ~100, Sat/Sun ~60, ±3 %. */
function weekly(last: string, lastValue?: number): DayValue[] {
  const end = Date.parse(`${last}T00:00:00Z`);
  const out: DayValue[] = [];
  for (let i = 28; i >= 0; i--) {
    const d = new Date(end - i * 86_400_000);
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    const jitter = [0.97, 1.0, 1.03, 0.99, 1.02][i % 5];
    out.push({
      date: d.toISOString().slice(0, 10),
      value: Math.round((weekend ? 60 : 100) * jitter),
    });
  }
  if (lastValue !== undefined) out[out.length - 1].value = lastValue;
  return out;
}

Deno.test("a normal weekend dip is not flagged; a weekday at weekend level is", () => {
  const series = weekly("2026-03-15"); // a Sunday
  assert.equal(new Date("2026-03-15T00:00:00Z").getUTCDay(), 0);
  const v = judgeVolume(series, SETTINGS);
  assert.equal(v.status, "ok", v.message);
  assert.equal(v.method, "mean_sd");
  assert.ok(v.expected! > 55 && v.expected! < 65, `expected ${v.expected}`);
  // The window's plain mean is far above a Sunday: the weekday factor matters.
  const window = series.slice(0, -1).map((d) => d.value);
  assert.ok(window.reduce((a, b) => a + b) / window.length > 85);
  // A Tuesday selling like a Sunday is a drop.
  const tuesday = judgeVolume(weekly("2026-03-17", 60), SETTINGS);
  assert.equal(tuesday.direction, "drop");
  assert.notEqual(tuesday.status, "ok");
});

Deno.test("a tenth of the usual volume is a critical drop, ten times a critical spike", () => {
  const drop = judgeVolume(weekly("2026-03-17", 10), SETTINGS); // a Tuesday
  assert.equal(drop.status, "critical");
  assert.equal(drop.direction, "drop");
  assert.ok(drop.z_score! < -6);
  assert.match(drop.message, /^drop: 10 on 2026-03-17, expected /);
  const spike = judgeVolume(weekly("2026-03-17", 1000), SETTINGS);
  assert.equal(spike.status, "critical");
  assert.equal(spike.direction, "spike");
  const normal = judgeVolume(weekly("2026-03-17", 101), SETTINGS);
  assert.equal(normal.status, "ok");
  assert.ok(normal.expected_range![0] < 101 && normal.expected_range![1] > 101);
});

Deno.test("too little history says so instead of ok", () => {
  const v = judgeVolume(weekly("2026-03-17").slice(-10), SETTINGS);
  assert.equal(v.status, "insufficient_history");
  assert.equal(v.history_days, 9);
  assert.match(v.message, /insufficient history: 9 of the 14 days/);
  assert.equal(judgeVolume([], SETTINGS).status, "insufficient_history");
});

Deno.test("a volatile window falls back to median and MAD", () => {
  const series = weekly("2026-03-17", 98);
  // An outage: eight days with almost nothing.
  for (const i of [3, 4, 5, 6, 7, 8, 9, 10]) series[i].value = 1;
  const v = judgeVolume(series, SETTINGS);
  assert.equal(v.method, "median_mad");
  assert.equal(v.status, "ok", v.message);
  const drop = judgeVolume(
    series.map((d, i) => i === series.length - 1 ? { ...d, value: 5 } : d),
    SETTINGS,
  );
  assert.equal(drop.direction, "drop");
});

Deno.test("quality: a drop warns, below the minimum is critical, stable is ok", () => {
  assert.equal(slope([1, 2, 3]), 1);
  assert.equal(slope([5, 5, 5, 5]), 0);
  const s = { minScore: 80, maxDrop: 5 };
  const drop = judgeQuality([95, 96, 95, 96, 84], s);
  assert.equal(drop.status, "warning");
  assert.equal(drop.drop, 11.5);
  assert.ok(drop.trend_slope < 0);
  assert.equal(judgeQuality([95, 96, 79], s).status, "critical");
  assert.equal(judgeQuality([95, 96, 95, 94], s).status, "ok");
  assert.equal(judgeQuality([], s).status, "insufficient_history");
});

Deno.test("last execution is judged against the schedule", () => {
  const cron = "30 2 * * *";
  const s = { graceMinutes: 60, missingMinutes: 360 };
  const run = (started_at: string, status = "success") => ({
    run_id: `r-${started_at}`,
    started_at,
    status,
  });
  const at = (iso: string) => new Date(iso);
  const today = run("2026-01-05T02:30:05Z");
  const yesterday = run("2026-01-04T02:30:05Z");
  assert.equal(
    judgeLastExecution([today], cron, at("2026-01-05T10:00:00Z"), s).status,
    "ok",
  );
  const within = judgeLastExecution(
    [yesterday],
    cron,
    at("2026-01-05T03:00:00Z"),
    s,
  );
  assert.equal(within.status, "ok");
  const late = judgeLastExecution(
    [yesterday],
    cron,
    at("2026-01-05T04:00:00Z"),
    s,
  );
  assert.equal(late.status, "warning");
  assert.match(late.message, /2026-01-05T02:30:00.000Z is 90 min late/);
  const missing = judgeLastExecution(
    [yesterday],
    cron,
    at("2026-01-05T10:00:00Z"),
    s,
  );
  assert.equal(missing.status, "critical");
  assert.match(missing.message, /missing/);
  const failed = judgeLastExecution(
    [run("2026-01-05T02:30:05Z", "failed"), yesterday],
    cron,
    at("2026-01-05T10:00:00Z"),
    s,
  );
  assert.equal(failed.status, "critical");
  assert.match(failed.message, /failed/);
  assert.equal(
    judgeLastExecution([], cron, at("2026-01-05T10:00:00Z"), s).status,
    "critical",
  );
});
