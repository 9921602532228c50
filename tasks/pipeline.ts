/**
 * The pipeline: runs the stages in order, in this process, on one database
 * connection; retries a step only on transient errors; stops at the first
 * failure; writes `pipeline_execution_report.json` and the run history
 * (`ops.pipeline_runs`, `ops.step_runs`). The command line is in
 * pipeline_cli.ts, runs over business days in backfill.ts.
 *
 * @module
 */
import type { Config } from "../lib/config.ts";
import { type Db, openDb } from "../lib/db.ts";
import type { Command } from "../lib/cli.ts";
import * as generate from "../stages/generate.ts";
import * as ingest from "../stages/ingest.ts";
import * as quality from "../stages/quality.ts";
import * as transform from "../stages/transform.ts";
import * as warehouse from "../stages/warehouse.ts";
import * as analytics from "../stages/analytics.ts";
import * as dashboard from "../stages/dashboard.ts";
import { describeError, PipelineError } from "../lib/errors.ts";
import { log, withLogContext } from "../lib/log.ts";
import { writeReport } from "../lib/report.ts";
import { withRetry } from "../lib/retry.ts";
import { newRunId } from "../lib/run_id.ts";
import { round, type StageResult } from "../lib/stage.ts";
import { maskSecrets } from "../lib/mask.ts";
import { dailyDir, runGenerate } from "../stages/generate.ts";
import { ensureLockHeld } from "../lib/lock.ts";
import {
  finishing,
  interruption,
  throwIfInterrupted,
} from "../lib/interrupt.ts";
import {
  finishRun,
  lastUnfinished,
  markCrashedRuns,
  recordRun,
  recordStep,
} from "../lib/run_history.ts";
import { runIngest } from "../stages/ingest.ts";
import { gateError, runQuality } from "../stages/quality.ts";
import { ensureSchema } from "../lib/schema.ts";
import { runTransform } from "../stages/transform.ts";
import { runWarehouse } from "../stages/warehouse.ts";
import { runAnalytics } from "../stages/analytics.ts";
import { runDashboard } from "../stages/dashboard.ts";
import { archiveReports } from "../lib/archive.ts";
import {
  newReport,
  type PipelineReport,
  selectSteps,
} from "./pipeline_plan.ts";

export type { PipelineReport, StepReport } from "./pipeline_plan.ts";
export { selectSteps } from "./pipeline_plan.ts";
/** One step of the pipeline. */
export interface Step {
  name: string;
  run(ctx: StepContext): Promise<StageResult>;
  /** The stage's own command (`ecom <name>`): main.ts lists every step's. */
  cli?: { command: Command; main(args: string[]): Promise<number> };
}

/** What a step receives. */
export interface StepContext {
  config: Config;
  db(): Promise<Db>;
  runId: string;
  options: PipelineOptions;
}

/** Options of one pipeline run. */
export interface PipelineOptions {
  /** Load these CSV files instead of generating. */
  inputDir?: string;
  skipGenerate?: boolean;
  from?: string;
  to?: string;
  only?: string;
  /** Continue the last failed run from its failed step. */
  resume?: boolean;
  /** Process this business day's increment (DATA_DIR/raw/DATE) incrementally. */
  date?: string;
  /** Day changed dimension rows take effect (default: date, else today). */
  asOf?: string;
  /** Steps to run instead of {@linkcode STEPS} (tests). */
  steps?: Step[];
  /** Waits between retries (tests replace it). */
  sleep?: (ms: number) => Promise<void>;
}

export const STEPS: Step[] = [
  {
    name: "generate",
    cli: generate,
    run: ({ config, options }) => runGenerate(config, { date: options.date }),
  },
  {
    name: "ingest",
    cli: ingest,
    run: async ({ config, db, options }) =>
      runIngest(config, await db(), {
        // Daily: the day's folder, under --input DIR when given.
        inputDir: options.date
          ? options.inputDir
            ? `${options.inputDir}/${options.date}`
            : dailyDir(config, options.date)
          : options.inputDir,
      }),
  },
  {
    name: "quality",
    cli: quality,
    run: async ({ config, db, runId, options }) => {
      const result = await runQuality(config, await db(), {
        runId,
        businessDate: options.date,
      });
      if (!result.passed) throw gateError(result);
      return result;
    },
  },
  {
    name: "transform",
    cli: transform,
    run: async ({ config, db, runId, options }) =>
      runTransform(config, await db(), {
        runId,
        incremental: options.date !== undefined,
        businessDate: options.date,
      }),
  },
  {
    name: "warehouse",
    cli: warehouse,
    run: async ({ config, db, options }) =>
      runWarehouse(config, await db(), {
        asOf: options.date ?? options.asOf,
      }),
  },
  {
    name: "analytics",
    cli: analytics,
    run: async ({ config, db }) => runAnalytics(config, await db()),
  },
  {
    name: "dashboard",
    cli: dashboard,
    // Right after analytics: its exports hold the dashboard's numbers.
    run: async ({ config, db }) =>
      runDashboard(config, await db(), { fromExports: true }),
  },
];

/**
 * Runs the pipeline; returns the report (status failed at the first failed step).
 *
 * @example
 * ```ts
 * const report = await runPipeline(config, { skipGenerate: true });
 * report.status; // "success", "failed" or "interrupted"
 * ```
 */
export function runPipeline(
  config: Config,
  options: PipelineOptions = {},
): Promise<PipelineReport> {
  const runId = newRunId();
  // Every line this run logs, in any stage, carries its id.
  return withLogContext({ run_id: runId }, () => run(config, options, runId));
}

async function run(
  config: Config,
  options: PipelineOptions,
  runId: string,
): Promise<PipelineReport> {
  const logger = log("pipeline");
  const all = options.steps ?? STEPS;
  const start = new Date();
  let db: Db | undefined;
  const getDb = async () => db ??= await openDb(config);
  const reconnect = async () => {
    await db?.close().catch(() => {});
    db = undefined;
  };
  // Usage first: a typo is reported before any database is opened.
  if (!options.resume) selectSteps(all, options);
  const history = await openHistory(await getDb(), options.resume);
  let resumedFrom: string | undefined;
  if (options.resume) {
    resumedFrom = history?.step;
    if (history?.date) options = { ...options, date: history.date };
    if (!resumedFrom) {
      throw new PipelineError(
        "RESUME",
        "no failed, interrupted or crashed run to resume: the last run succeeded or none ran",
      );
    }
    logger.info("resuming the last {status} run at step {step}", {
      status: history!.status,
      step: resumedFrom,
    });
  }
  const steps = selectSteps(
    all,
    resumedFrom ? { ...options, from: resumedFrom } : options,
  );
  const report = newReport(runId, start, all, steps, resumedFrom, options.date);
  await recordRun(
    await getDb(),
    runId,
    start,
    steps.map((s) => s.name),
    options.date,
  ).catch((err) =>
    logger.warn("run history unavailable: {message}", {
      message: describeError(err),
    })
  );
  logger.info("run {runId}: {steps}", {
    runId,
    steps: steps.map((s) => s.name).join(" -> "),
  });

  for (const [i, step] of steps.entries()) {
    const entry = report.steps_executed[step.name];
    const t0 = performance.now();
    const stepStart = new Date();
    await recordStep(await getDb(), runId, step.name, i, {
      ...entry,
      status: "running",
    }, stepStart).catch(() => {});
    try {
      const { value, retries } = await withRetry(
        async () => {
          throwIfInterrupted();
          await ensureLockHeld();
          return await step.run({ config, db: getDb, runId, options });
        },
        config.pipeline.retry,
        {
          sleep: options.sleep,
          onRetry: async (err, retry, delay) => {
            if (interruption()) throw interruption();
            logger.warn(
              "{step}: transient error, retry {retry} in {delay} ms: {message}",
              {
                step: step.name,
                retry,
                delay,
                message: describeError(err),
              },
            );
            await reconnect();
          },
        },
      );
      Object.assign(entry, {
        status: "success",
        duration_seconds: round((performance.now() - t0) / 1000),
        records_processed: value.rows ?? 0,
        retry_attempts: retries,
      });
      report.warnings.push(
        ...(value.warnings ?? []).map((w) => `${step.name}: ${w}`),
      );
      // Numbers stay numbers: the JSON log is parsed by programs.
      logger.info("{step} ok: {rows} rows in {seconds} s{retries}", {
        step: step.name,
        rows: entry.records_processed,
        seconds: round(entry.duration_seconds, 1),
        retries: retries ? ` (${retries} retries)` : "",
      });
    } catch (err) {
      const stopped = interruption();
      const message = maskSecrets(describeError(stopped ?? err));
      Object.assign(entry, {
        status: stopped ? "interrupted" : "failed",
        duration_seconds: round((performance.now() - t0) / 1000),
        error_message: message,
        retry_attempts: (err as { retries?: number })?.retries ?? 0,
      });
      report.status = stopped ? "interrupted" : "failed";
      report.errors.push({ step: step.name, message });
      logger.error("{step} {outcome} after {seconds} s: {message}", {
        step: step.name,
        outcome: stopped ? "INTERRUPTED" : "FAILED",
        seconds: round(entry.duration_seconds, 1),
        message,
      });
    }
    await finishing(async () =>
      recordStep(await getDb(), runId, step.name, i, entry, stepStart)
    ).catch(() => {});
    if (report.status !== "success") break;
  }
  const end = new Date();
  report.end_time = end.toISOString();
  report.total_duration_seconds = round(
    (end.getTime() - start.getTime()) / 1000,
  );
  report.backend = db?.kind ?? (config.databaseUrl ? "server" : "embedded");
  await finishing(async () =>
    finishRun(await getDb(), runId, end, report.status, report.errors[0])
  ).catch((err) =>
    logger.warn("could not record the run's outcome: {message}", {
      message: describeError(err),
    })
  );
  await writeReport(config, "pipeline_execution_report.json", report);
  await archiveReports(config, runId).catch((err) =>
    logger.warn("could not archive the reports: {message}", {
      message: describeError(err),
    })
  );
  const done =
    Object.values(report.steps_executed).filter((s) => s.status === "success")
      .length;
  logger.info(
    "pipeline {status}: {done}/{count} steps in {seconds} s (run {runId})",
    {
      status: report.status === "success"
        ? "finished"
        : report.status.toUpperCase(),
      done,
      count: steps.length,
      seconds: round(report.total_duration_seconds, 1),
      runId,
    },
  );
  await db?.close();
  return report;
}

/**
 * Sets up the ops tables, marks runs whose process died as crashed (the
 * caller holds the lock, so none of them is alive) and, for --resume, finds
 * the run to resume.
 */
async function openHistory(db: Db, resume: boolean | undefined) {
  await ensureSchema(db);
  for (const id of await markCrashedRuns(db)) {
    log("pipeline").warn(
      "run {id} was still marked running, but its process is gone: marked crashed",
      { id },
    );
  }
  return resume ? await lastUnfinished(db) : undefined;
}
