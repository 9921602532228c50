#!/usr/bin/env -S deno run --allow-read=data,logs --allow-write=data,logs --allow-env --allow-net
/**
 * Monitoring: schedule-aware last execution, per-layer freshness, seasonal
 * volume anomalies, the quality trend and database health, judged against
 * configured thresholds; writes `monitoring_report.json`, appends to
 * `ops.monitoring_history`, sends alerts, and exits 0 healthy, 1 degraded,
 * 2 critical. An unreachable database is reported, not thrown.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { type Db, openDb } from "../lib/db.ts";
import { describeError, PipelineError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import {
  acquireFileLock,
  type Lock,
  LockedError,
  pipelineLockPath,
} from "../lib/lock.ts";
import { maskSecrets } from "../lib/mask.ts";
import { writeReport } from "../lib/report.ts";
import {
  type Alert,
  deliverAlerts,
  type Delivery,
} from "../lib/monitor/alerts.ts";
import {
  judgeLastExecution,
  judgeQuality,
  judgeVolume,
  type Status,
} from "../lib/monitor/judge.ts";
import { schemaReady } from "../lib/schema.ts";

export const command: Command = {
  name: "monitor",
  summary:
    "check pipeline health: schedule, freshness, volume, quality, database",
  flags: [],
  details: [
    "Writes DATA_DIR/processed/monitoring_report.json and ops.monitoring_history.",
    "Exit code: 0 healthy, 1 degraded (a warning), 2 critical. Alerts go to",
    "ALERT_WEBHOOK_URL when set. Thresholds: the monitor section of the config.",
  ].join("\n"),
};

/** One check's result. */
export interface CheckResult {
  status: Status | "unknown";
  message: string;
  [detail: string]: unknown;
}

/** The report, with the contract's keys. */
export interface MonitoringReport {
  monitoring_timestamp: string;
  pipeline_health: "healthy" | "degraded" | "critical";
  overall_health_score: number;
  checks: Record<string, CheckResult>;
  alerts: Alert[];
  alert_delivery?: Delivery;
  score_formula: string;
}

/** Points per status; the overall score is their mean over the checks. */
export const STATUS_POINTS: Record<CheckResult["status"], number> = {
  ok: 100,
  insufficient_history: 75,
  warning: 50,
  critical: 0,
  unknown: 0,
};

const CHECKS = [
  "last_execution",
  "data_freshness",
  "data_volume_anomalies",
  "data_quality",
  "database_connectivity",
] as const;

const worst = (xs: CheckResult["status"][]): CheckResult["status"] =>
  xs.includes("critical") || xs.includes("unknown")
    ? "critical"
    : xs.includes("warning")
    ? "warning"
    : xs.includes("insufficient_history")
    ? "insufficient_history"
    : "ok";

const hoursSince = (epoch: number | null, now: Date) =>
  epoch === null
    ? null
    : Math.round((now.getTime() - epoch * 1000) / 36e3) / 100;

/** Runs every check; never throws for an unreachable database. */
export async function runMonitor(
  config: Config,
  options: { now?: Date; db?: Db } = {},
): Promise<MonitoringReport> {
  const logger = log("monitor");
  const now = options.now ?? new Date();
  const checks: Record<string, CheckResult> = {};
  let db = options.db;
  let settled = false;
  try {
    db ??= await openDb(config);
    await db.query("SELECT 1");
    // Round trip of a trivial query on an open connection.
    const t0 = performance.now();
    await db.query("SELECT 1");
    const latency = Math.round((performance.now() - t0) * 10) / 10;
    checks.database_connectivity = await connectivity(config, db, latency);
    // A read-only command: it runs no DDL. A database no pipeline has set up
    // yet is reported as such.
    settled = await schemaReady(db);
    if (!settled) {
      throw new PipelineError(
        "NOT_SET_UP",
        "no pipeline has run on this database yet (its schema is not set up): run deno task pipeline",
      );
    }
    checks.last_execution = await lastExecution(config, db, now);
    checks.data_freshness = await freshness(config, db, now);
    checks.data_volume_anomalies = await volume(config, db, now);
    checks.data_quality = await quality(config, db);
  } catch (err) {
    const message = maskSecrets(describeError(err));
    if (!checks.database_connectivity) {
      checks.database_connectivity = {
        status: "critical",
        message: `database unreachable: ${message}`,
      };
    }
    for (const c of CHECKS) {
      checks[c] ??= { status: "unknown", message: `not checked: ${message}` };
    }
  }
  const statuses = CHECKS.map((c) => checks[c].status);
  const overall = worst(statuses);
  const report: MonitoringReport = {
    monitoring_timestamp: now.toISOString(),
    pipeline_health: overall === "critical"
      ? "critical"
      : overall === "warning"
      ? "degraded"
      : "healthy",
    overall_health_score: Math.round(
      10 * statuses.reduce((a, s) => a + STATUS_POINTS[s], 0) / statuses.length,
    ) / 10,
    checks: Object.fromEntries(CHECKS.map((c) => [c, checks[c]])),
    alerts: CHECKS.filter((c) =>
      ["warning", "critical", "unknown"].includes(checks[c].status)
    ).map((c) => ({
      severity: checks[c].status === "warning" ? "warning" : "critical",
      check: c,
      message: checks[c].message,
      timestamp: now.toISOString(),
    })),
    score_formula:
      "mean over the five checks of ok 100, insufficient_history 75, warning 50, critical/unknown 0",
  };
  report.alert_delivery = await deliverAlerts(
    config,
    report.alerts,
    Object.fromEntries(CHECKS.map((c) => [c, checks[c].status])),
    { health: report.pipeline_health, score: report.overall_health_score, now },
  );
  if (settled && db) {
    await history(db, report).catch((err) =>
      logger.warn("monitoring history not written: {message}", {
        message: describeError(err),
      })
    );
  }
  if (db && !options.db) await db.close().catch(() => {});
  await writeReport(config, "monitoring_report.json", report);
  const line =
    `${report.pipeline_health} (score ${report.overall_health_score}): ${
      CHECKS.map((c) => `${c} ${checks[c].status}`).join(", ")
    }`;
  if (report.pipeline_health === "healthy") logger.info("{line}", { line });
  else {
    logger.warn("{line}", { line });
    for (const a of report.alerts) {
      logger.warn("  {severity} {check}: {message}", { ...a });
    }
  }
  return report;
}

async function connectivity(
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

async function lastExecution(
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

async function freshness(
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

async function volume(
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

async function quality(config: Config, db: Db): Promise<CheckResult> {
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

async function history(db: Db, r: MonitoringReport): Promise<void> {
  await db.query(
    `INSERT INTO ops.monitoring_history (monitored_at, check_name, status, message, details,
       pipeline_health, overall_health_score)
     SELECT $1::timestamptz, c.key, c.value->>'status', c.value->>'message', c.value,
       $2, $3::numeric
     FROM jsonb_each($4::text::jsonb) AS c`,
    [
      r.monitoring_timestamp,
      r.pipeline_health,
      r.overall_health_score,
      JSON.stringify(r.checks),
    ],
  );
}

/** Exit code of a report: 0 healthy, 1 degraded, 2 critical. */
export function exitCode(r: MonitoringReport): number {
  return r.pipeline_health === "healthy"
    ? 0
    : r.pipeline_health === "degraded"
    ? 1
    : 2;
}

/**
 * The embedded database must not be opened by two processes: wait for a
 * running pipeline to finish (the server allows concurrent readers).
 */
async function waitForEmbedded(config: Config): Promise<Lock | undefined> {
  if (config.databaseUrl) return undefined;
  await Deno.mkdir(config.dataDir, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await acquireFileLock(pipelineLockPath(config), "monitor");
    } catch (err) {
      if (!(err instanceof LockedError) || Date.now() > deadline) throw err;
      log("monitor").info("waiting for the running pipeline: {message}", {
        message: err.message,
      });
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

const LOCK_WAIT_MS = 10 * 60_000;

/** Runs the monitor and logs its health line (for the pipeline and the scheduler). */
export async function monitorAfterRun(config: Config): Promise<string> {
  try {
    const r = await runMonitor(config);
    return `${r.pipeline_health} (score ${r.overall_health_score})${
      r.alerts.length
        ? ": " + r.alerts.map((a) => `${a.check} ${a.severity}`).join(", ")
        : ""
    }`;
  } catch (err) {
    return `monitor failed: ${describeError(err)}`;
  }
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    const lock = await waitForEmbedded(ctx.config);
    try {
      return exitCode(await runMonitor(ctx.config));
    } finally {
      await lock?.release();
    }
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
