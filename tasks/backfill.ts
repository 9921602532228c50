/**
 * Daily operation: process business days one by one, each as an incremental
 * pipeline run (`pipeline --date D`), loading the base history first when the
 * database has none, and `--rebuild` to replay everything from scratch.
 *
 * @module
 */
import type { Config } from "../lib/config.ts";
import { type Db, openDb } from "../lib/db.ts";
import { PipelineError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { dayOf, isoOf } from "../lib/synth/dates.ts";
import { ensureSchema } from "../lib/schema.ts";
import resetSql from "../sql/warehouse/reset.sql" with { type: "text" };
import {
  type PipelineOptions,
  type PipelineReport,
  runPipeline,
} from "./pipeline.ts";

/** Options of a run over business days. */
export interface DaysOptions extends PipelineOptions {
  /** First and last business day (inclusive). */
  fromDate?: string;
  toDate?: string;
  /** Empty production and warehouse, reload the base history, replay the days. */
  rebuild?: boolean;
}

/** Outcome of a run over days: one report per pipeline run, in order. */
export interface DaysResult {
  status: "success" | "failed";
  reports: PipelineReport[];
  days: string[];
}

/**
 * The days from `from` to `to`, inclusive.
 *
 * @example
 * ```ts
 * daysBetween("2026-01-30", "2026-02-02"); // ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]
 * ```
 */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = dayOf(from); d <= dayOf(to); d++) out.push(isoOf(d));
  return out;
}

/** The first business day after the base history. */
export function firstDailyDay(config: Config): string {
  return isoOf(dayOf(config.generate.endDate) + 1);
}

/** Business days whose daily run succeeded, per the run history. */
export async function processedDays(db: Db): Promise<string[]> {
  const rows = await db.query<{ d: string }>(
    `SELECT DISTINCT business_date::text AS d FROM ops.pipeline_runs
     WHERE mode = 'daily' AND status = 'success' ORDER BY 1`,
  );
  return rows.map((r) => r.d);
}

/** Opens the database for bookkeeping, runs `fn`, and closes it again. */
async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>) {
  // The embedded database must not be open twice: close before each run.
  const db = await openDb(config);
  try {
    await ensureSchema(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * Runs the daily pipeline for every day of the range, in order; stops at the
 * first failed day. Loads the base history first when production is empty
 * (unless the increments come from `--input`).
 */
export async function runDays(
  config: Config,
  options: DaysOptions,
): Promise<DaysResult> {
  const logger = log("pipeline");
  const first = firstDailyDay(config);
  const state = await withDb(config, async (db) => {
    if (options.rebuild) {
      logger.info("rebuild: emptying production and the warehouse");
      await db.exec(resetSql);
    }
    const [{ customers }] = await db.query<{ customers: number }>(
      "SELECT count(*)::int AS customers FROM production.customers",
    );
    return { empty: customers === 0, done: await processedDays(db) };
  });
  const to = options.toDate ?? options.date ??
    (options.rebuild ? state.done.at(-1) : undefined) ?? options.fromDate;
  const from = options.rebuild ? first : options.fromDate ?? options.date ?? to;
  if (!from || !to) {
    throw new PipelineError(
      "USAGE",
      "no business day given: use --date D, or --from D1 --to D2",
    );
  }
  if (dayOf(to) < dayOf(from)) {
    throw new PipelineError("USAGE", `--to ${to} is before --from ${from}`);
  }
  if (dayOf(from) < dayOf(first) && !options.inputDir) {
    throw new PipelineError(
      "USAGE",
      `${from} is inside the base history (${config.generate.startDate}..${config.generate.endDate})`,
      { hint: `daily runs start at ${first}, the day after generate.endDate` },
    );
  }
  const days = daysBetween(from, to);
  const result: DaysResult = { status: "success", reports: [], days };
  if (state.empty && !options.inputDir) {
    logger.info(
      "no base history loaded yet: loading {start}..{end} first (full pipeline)",
      { start: config.generate.startDate, end: config.generate.endDate },
    );
    const base = await runPipeline(config, {
      sleep: options.sleep,
      steps: options.steps,
      asOf: config.generate.endDate,
    });
    result.reports.push(base);
    if (base.status !== "success") return { ...result, status: "failed" };
  }
  for (const [i, date] of days.entries()) {
    logger.info("day {date} ({i}/{count})", {
      date,
      i: i + 1,
      count: days.length,
    });
    const report = await runPipeline(config, { ...options, date });
    result.reports.push(report);
    if (report.status !== "success") {
      result.status = "failed";
      break;
    }
  }
  return result;
}
