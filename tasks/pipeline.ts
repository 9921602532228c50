#!/usr/bin/env -S deno run --allow-read=data,logs,node_modules --allow-write=data,logs --allow-env --allow-net
/**
 * The pipeline: runs the stages in order, in this process, on one database
 * connection; retries a step only on transient errors; stops at the first
 * failure; writes `pipeline_execution_report.json` and the run history
 * (`ops.pipeline_runs`, `ops.step_runs`).
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { type Db, openDb } from "../lib/db.ts";
import { describeError, PipelineError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { processedDir, writeReport } from "../lib/report.ts";
import { withRetry } from "../lib/retry.ts";
import { newRunId } from "../lib/run_id.ts";
import { n, round, type StageResult } from "../lib/stage.ts";
import { maskSecrets } from "../lib/mask.ts";
import { runGenerate } from "../stages/generate.ts";
import { runIngest } from "../stages/ingest.ts";
import { gateError, runQuality, setupQuality } from "../stages/quality.ts";
import { runTransform } from "../stages/transform.ts";
import { runWarehouse } from "../stages/warehouse.ts";
import { runAnalytics } from "../stages/analytics.ts";

/** One step of the pipeline. */
export interface Step {
  name: string;
  run(ctx: StepContext): Promise<StageResult>;
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
  /** Steps to run instead of {@linkcode STEPS} (tests). */
  steps?: Step[];
  /** Waits between retries (tests replace it). */
  sleep?: (ms: number) => Promise<void>;
}

export const STEPS: Step[] = [
  { name: "generate", run: ({ config }) => runGenerate(config) },
  {
    name: "ingest",
    run: async ({ config, db, options }) =>
      runIngest(config, await db(), { inputDir: options.inputDir }),
  },
  {
    name: "quality",
    run: async ({ config, db, runId }) => {
      const result = await runQuality(config, await db(), { runId });
      if (!result.passed) throw gateError(result);
      return result;
    },
  },
  {
    name: "transform",
    run: async ({ config, db, runId }) =>
      runTransform(config, await db(), { runId }),
  },
  {
    name: "warehouse",
    run: async ({ config, db }) => runWarehouse(config, await db()),
  },
  {
    name: "analytics",
    run: async ({ config, db }) => runAnalytics(config, await db()),
  },
];

export const command: Command = {
  name: "pipeline",
  summary: "run every stage in order: " + STEPS.map((s) => s.name).join(" -> "),
  flags: [
    {
      name: "skip-generate",
      type: "boolean",
      help: "use the CSV files already in DATA_DIR/raw",
    },
    {
      name: "input",
      type: "string",
      arg: "DIR",
      help: "load your own CSV files from DIR (implies --skip-generate)",
    },
    { name: "from", type: "string", arg: "STEP", help: "start at this step" },
    { name: "to", type: "string", arg: "STEP", help: "stop after this step" },
    { name: "only", type: "string", arg: "STEP", help: "run just this step" },
    {
      name: "resume",
      type: "boolean",
      help: "continue the last failed run from its failed step",
    },
  ],
  details: "Steps: " + STEPS.map((s) => s.name).join(", ") +
    ".\nTransient errors (lost connection, deadlock, serialization failure, too many\n" +
    "connections) are retried with exponential backoff (pipeline.retry in the config);\n" +
    "data errors fail at once. Writes DATA_DIR/processed/pipeline_execution_report.json.",
};

/** A step's entry in the report. */
export interface StepReport {
  status: "success" | "failed" | "skipped" | "not_run";
  duration_seconds: number;
  records_processed: number;
  error_message: string | null;
  retry_attempts: number;
}

/** The report, with the contract's keys. */
export interface PipelineReport {
  pipeline_execution_id: string;
  start_time: string;
  end_time: string;
  total_duration_seconds: number;
  status: "success" | "failed";
  steps_executed: Record<string, StepReport>;
  errors: Array<{ step: string; message: string }>;
  warnings: string[];
  backend?: string;
  resumed_from?: string;
}

/** Picks the steps to run from --from/--to/--only/--skip-generate. */
export function selectSteps(all: Step[], o: PipelineOptions): Step[] {
  const names = all.map((s) => s.name);
  for (
    const [flag, v] of [["from", o.from], ["to", o.to], [
      "only",
      o.only,
    ]] as const
  ) {
    if (v !== undefined && !names.includes(v)) {
      throw new PipelineError(
        "USAGE",
        `--${flag} ${v}: no such step (steps: ${names.join(", ")})`,
      );
    }
  }
  if (o.only) return all.filter((s) => s.name === o.only);
  const lo = o.from ? names.indexOf(o.from) : 0;
  const hi = o.to ? names.indexOf(o.to) : names.length - 1;
  return all.slice(lo, hi + 1).filter((s) =>
    !(s.name === "generate" && (o.skipGenerate || o.inputDir) && !o.from &&
      !o.only)
  );
}

/** Runs the pipeline; returns the report (status failed at the first failed step). */
export async function runPipeline(
  config: Config,
  options: PipelineOptions = {},
): Promise<PipelineReport> {
  const logger = log("pipeline");
  const all = options.steps ?? STEPS;
  const runId = newRunId();
  const start = new Date();
  let db: Db | undefined;
  const getDb = async () => db ??= await openDb(config);
  const reconnect = async () => {
    await db?.close().catch(() => {});
    db = undefined;
  };
  let resumedFrom: string | undefined;
  if (options.resume) {
    resumedFrom = await lastFailedStep(await getDb());
    if (!resumedFrom) {
      throw new PipelineError(
        "RESUME",
        "no failed run to resume: the last run succeeded or none ran",
      );
    }
    logger.info("resuming the last failed run at step {step}", {
      step: resumedFrom,
    });
  }
  const steps = selectSteps(
    all,
    resumedFrom ? { ...options, from: resumedFrom } : options,
  );
  const report: PipelineReport = {
    pipeline_execution_id: runId,
    start_time: start.toISOString(),
    end_time: "",
    total_duration_seconds: 0,
    status: "success",
    steps_executed: {},
    errors: [],
    warnings: [],
    ...(resumedFrom ? { resumed_from: resumedFrom } : {}),
  };
  for (const s of all) {
    report.steps_executed[s.name] = {
      status: steps.includes(s) ? "not_run" : "skipped",
      duration_seconds: 0,
      records_processed: 0,
      error_message: null,
      retry_attempts: 0,
    };
  }
  await recordRun(getDb, runId, start, steps.map((s) => s.name)).catch((err) =>
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
    try {
      const { value, retries } = await withRetry(
        () => step.run({ config, db: getDb, runId, options }),
        config.pipeline.retry,
        {
          sleep: options.sleep,
          onRetry: async (err, retry, delay) => {
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
      logger.info("{step} ok      {rows} rows  {seconds} s{retries}", {
        step: step.name.padEnd(10),
        rows: n(entry.records_processed).padStart(10),
        seconds: entry.duration_seconds.toFixed(1),
        retries: retries ? `  (${retries} retries)` : "",
      });
    } catch (err) {
      const message = maskSecrets(describeError(err));
      Object.assign(entry, {
        status: "failed",
        duration_seconds: round((performance.now() - t0) / 1000),
        error_message: message,
        retry_attempts: (err as { retries?: number })?.retries ?? 0,
      });
      report.status = "failed";
      report.errors.push({ step: step.name, message });
      logger.error("{step} FAILED after {seconds} s: {message}", {
        step: step.name,
        seconds: entry.duration_seconds.toFixed(1),
        message,
      });
    }
    await recordStep(getDb, runId, step.name, i, entry, stepStart).catch(
      () => {},
    );
    if (report.status === "failed") break;
  }
  const end = new Date();
  report.end_time = end.toISOString();
  report.total_duration_seconds = round(
    (end.getTime() - start.getTime()) / 1000,
  );
  report.backend = db?.kind ?? (config.databaseUrl ? "server" : "embedded");
  await finishRun(getDb, runId, end, report).catch(() => {});
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
      status: report.status === "success" ? "finished" : "FAILED",
      done,
      count: steps.length,
      seconds: report.total_duration_seconds.toFixed(1),
      runId,
    },
  );
  await db?.close();
  return report;
}

async function lastFailedStep(db: Db): Promise<string | undefined> {
  await setupQuality(db);
  const [last] = await db.query<{ status: string; failed_step: string | null }>(
    `SELECT status, failed_step FROM ops.pipeline_runs ORDER BY started_at DESC LIMIT 1`,
  );
  return last?.status === "failed" ? last.failed_step ?? undefined : undefined;
}

async function recordRun(
  getDb: () => Promise<Db>,
  runId: string,
  start: Date,
  steps: string[],
) {
  const db = await getDb();
  await setupQuality(db);
  await db.query(
    `INSERT INTO ops.pipeline_runs (run_id, started_at, status, steps) VALUES ($1, $2, 'running', $3::text[])`,
    [runId, start.toISOString(), `{${steps.join(",")}}`],
  );
}

async function recordStep(
  getDb: () => Promise<Db>,
  runId: string,
  step: string,
  position: number,
  e: StepReport,
  started: Date,
) {
  await (await getDb()).query(
    `INSERT INTO ops.step_runs (run_id, step, position, status, started_at, ended_at,
       duration_seconds, records_processed, retry_attempts, error_message)
     VALUES ($1, $2, $3, $4, $5, now(), $6, $7, $8, $9)`,
    [
      runId,
      step,
      position,
      e.status,
      started.toISOString(),
      e.duration_seconds,
      e.records_processed,
      e.retry_attempts,
      e.error_message,
    ],
  );
}

async function finishRun(
  getDb: () => Promise<Db>,
  runId: string,
  end: Date,
  r: PipelineReport,
) {
  await (await getDb()).query(
    `UPDATE ops.pipeline_runs SET ended_at = $2, status = $3, failed_step = $4, error_message = $5 WHERE run_id = $1`,
    [
      runId,
      end.toISOString(),
      r.status,
      r.errors[0]?.step ?? null,
      r.errors[0]?.message ?? null,
    ],
  );
}

/**
 * Copies this run's reports to `processed/archive/<run id>/`, so each run's
 * reports survive the next run until cleanup removes them.
 */
async function archiveReports(config: Config, runId: string): Promise<void> {
  const dir = processedDir(config);
  const target = `${dir}/archive/${runId}`;
  await Deno.mkdir(target, { recursive: true });
  for (const name of REPORTS) {
    try {
      await Deno.copyFile(
        `${dir}/${name}`,
        `${target}/${name.replace("analytics/", "")}`,
      );
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
}

const REPORTS = [
  "pipeline_execution_report.json",
  "ingestion_summary.json",
  "data_quality_report.json",
  "transformation_summary.json",
  "analytics/analytics_summary.json",
];

/** CLI entry point: exit 1 when a step failed. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    const report = await runPipeline(ctx.config, {
      skipGenerate: ctx.values["skip-generate"] as boolean | undefined,
      inputDir: ctx.values.input as string | undefined,
      from: ctx.values.from as string | undefined,
      to: ctx.values.to as string | undefined,
      only: ctx.values.only as string | undefined,
      resume: ctx.values.resume as boolean | undefined,
    });
    return report.status === "success" ? 0 : 1;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
