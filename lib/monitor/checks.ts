/**
 * The monitor's five checks, each a query and a judgement
 * (lib/monitor/judge.ts) of its result: connectivity, the last scheduled
 * execution, per-layer freshness, volume anomalies and the quality trend.
 * stages/monitor.ts runs them and reports.
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { Db } from "../db.ts";
import {
  judgeLastExecution,
  judgeQuality,
  judgeVolume,
  type Status,
} from "./judge.ts";

/** One check's result. */
export interface CheckResult {
  status: Status | "unknown";
  message: string;
  [detail: string]: unknown;
}

/** The worst of some statuses (unknown counts as critical). */
export const worst = (xs: CheckResult["status"][]): CheckResult["status"] =>
  xs.includes("critical") || xs.includes("unknown")
    ? "critical"
    : xs.includes("warning")
    ? "warning"
    : xs.includes("insufficient_history")
    ? "insufficient_history"
    : "ok";

export const hoursSince = (epoch: number | null, now: Date) =>
  epoch === null
    ? null
    : Math.round((now.getTime() - epoch * 1000) / 36e3) / 100;

export async function connectivity(
  config: Config,
  db: Db,
  latency: number,
): Promise<CheckResult> {
  const [{ size }] = await db.query<{ size: number }>(
    "SELECT pg_database_size(current_database())::bigint AS size",
  );
  let active: number | null = null;
  if (db.kind === "server") {
    [{ active }] = await db.query<{ active: number }>(
      "SELECT count(*)::int AS active FROM pg_stat_activity WHERE datname = current_database()",
    );
  }
  const slow = latency > config.monitor.latencyWarnMs;
  return {
    status: slow ? "warning" : "ok",
    message: `${db.label}: ${latency} ms round trip${slow ? " (slow)" : ""}`,
    latency_ms: latency,
    active_connections: active,
    database_size_bytes: size,
    backend: db.kind,
  };
}

export async function lastExecution(
  config: Config,
  db: Db,
  now: Date,
): Promise<CheckResult> {
  const runs = await db.query<
    { run_id: string; started_at: string; status: string; mode: string }
  >(
    `SELECT run_id, status, mode,
       to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started_at
     FROM ops.pipeline_runs WHERE started_at <= $1::timestamptz
     ORDER BY started_at DESC LIMIT 20`,
    [now.toISOString()],
  );
  const v = judgeLastExecution(runs, config.schedule.cron, now, config.monitor);
  return {
    ...v,
    schedule: config.schedule.cron,
    last_run: runs[0] ?? null,
  };
}

export async function freshness(
  config: Config,
  db: Db,
  now: Date,
): Promise<CheckResult> {
  const m = config.monitor;
  const [r] = await db.query<Record<string, number | string | null>>(
    `SELECT
       extract(epoch FROM (SELECT max(loaded_at) FROM staging.transactions))::float8 AS staging,
       extract(epoch FROM (SELECT greatest(max(created_at), max(updated_at))
         FROM production.transactions))::float8 AS production,
       extract(epoch FROM (SELECT max(created_at) FROM warehouse.fact_sales))::float8
         AS warehouse,
       (SELECT max(d.full_date) FROM warehouse.agg_daily_sales a
          JOIN warehouse.dim_date d USING (date_key)
          WHERE d.full_date <= $1::date)::text AS newest_business_date`,
    [now.toISOString().slice(0, 10)],
  );
  const layers: Record<string, { age_hours: number | null; status: Status }> =
    {};
  for (const layer of ["staging", "production", "warehouse"]) {
    const age = hoursSince(r[layer] as number | null, now);
    layers[layer] = {
      age_hours: age,
      status: age === null || age > m.freshnessCriticalHours
        ? "critical"
        : age > m.freshnessWarnHours
        ? "warning"
        : "ok",
    };
  }
  const dueDay = Math.floor(now.getTime() / 86_400_000) -
    config.schedule.dayOffset;
  const newest = r.newest_business_date as string | null;
  const lag = newest === null
    ? null
    : dueDay - Math.floor(Date.parse(`${newest}T00:00:00Z`) / 86_400_000);
  // Business days are expected only once daily operation has started; a
  // warehouse loaded by full runs alone is as fresh as its last load.
  const [{ daily }] = await db.query<{ daily: boolean }>(
    "SELECT exists(SELECT 1 FROM ops.pipeline_runs WHERE mode = 'daily') AS daily",
  );
  const business: Status = !daily && newest !== null
    ? "ok"
    : lag === null || lag > m.businessLagCriticalDays
    ? "critical"
    : lag > m.businessLagWarnDays
    ? "warning"
    : "ok";
  const status = worst([
    ...Object.values(layers).map((l) => l.status),
    business,
  ]);
  const stale = Object.entries(layers).filter(([, l]) => l.status !== "ok")
    .map(([k, l]) =>
      `${k} ${l.age_hours === null ? "empty" : `${l.age_hours} h old`}`
    );
  if (business !== "ok") {
    stale.push(
      newest === null
        ? "no business day in the warehouse"
        : `newest business day ${newest} is ${lag} days behind the day due`,
    );
  }
  return {
    status,
    message: stale.length ? stale.join("; ") : "every layer is fresh",
    layers,
    newest_business_date: newest,
    business_date_lag_days: lag,
    daily_operation: daily,
  };
}

export async function volume(
  config: Config,
  db: Db,
  now: Date,
): Promise<CheckResult> {
  const m = config.monitor;
  const rows = await db.query<{ date: string; tx: number; revenue: number }>(
    `WITH newest AS (
       SELECT max(d.full_date) AS day FROM warehouse.agg_daily_sales a
       JOIN warehouse.dim_date d USING (date_key) WHERE d.full_date <= $1::date
     )
     SELECT d.full_date::text AS date, a.total_transactions AS tx, a.total_revenue AS revenue
     FROM warehouse.agg_daily_sales a JOIN warehouse.dim_date d USING (date_key), newest
     WHERE d.full_date BETWEEN newest.day - $2::int AND newest.day
     ORDER BY d.full_date`,
    // A year and the window: the month-of-year profile needs the year.
    [now.toISOString().slice(0, 10), 366 + m.volumeWindowDays],
  );
  const settings = {
    windowDays: m.volumeWindowDays,
    zThreshold: m.volumeZThreshold,
    minHistoryDays: m.volumeMinHistoryDays,
    volatileCv: m.volumeVolatileCv,
  };
  const tx = judgeVolume(
    rows.map((r) => ({ date: r.date, value: r.tx })),
    { ...settings, counts: true },
  );
  const revenue = judgeVolume(
    rows.map((r) => ({ date: r.date, value: r.revenue })),
    settings,
  );
  const status = worst([tx.status, revenue.status]);
  return {
    status,
    message: tx.status === "insufficient_history"
      ? tx.message
      : `transactions: ${tx.message}; revenue: ${revenue.message}`,
    transactions: tx,
    revenue,
  };
}

export async function quality(config: Config, db: Db): Promise<CheckResult> {
  const runs = await db.query<{ score: number }>(
    `SELECT overall_score AS score FROM ops.dq_runs ORDER BY checked_at DESC LIMIT $1::int`,
    [config.monitor.qualityRuns],
  );
  const v = judgeQuality(runs.map((r) => r.score).reverse(), {
    minScore: config.quality.minScore,
    maxDrop: config.monitor.qualityMaxDrop,
  });
  return { ...v, runs: runs.length };
}
