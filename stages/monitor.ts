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
import { acquireFileLock, type Lock, pipelineLockPath } from "../lib/lock.ts";
import { maskSecrets } from "../lib/mask.ts";
import { writeReport } from "../lib/report.ts";
import {
  type Alert,
  deliverAlerts,
  type Delivery,
} from "../lib/monitor/alerts.ts";
import {
  type CheckResult,
  connectivity,
  freshness,
  lastExecution,
  quality,
  volume,
  worst,
} from "../lib/monitor/checks.ts";

export type { CheckResult };
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

/**
 * Runs every check; never throws for an unreachable database.
 *
 * @example
 * ```ts
 * const report = await runMonitor(config);
 * Deno.exit(exitCode(report)); // 0 healthy, 1 degraded, 2 critical
 * ```
 */
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
  // The lock's own bounded wait, which says what it waits for.
  return await acquireFileLock(pipelineLockPath(config), "monitor", {
    waitMs: LOCK_WAIT_MS,
  });
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
