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
import { log, withLogContext } from "../lib/log.ts";
import { processedDir, writeReport } from "../lib/report.ts";
import { withRetry } from "../lib/retry.ts";
import { newRunId } from "../lib/run_id.ts";
import { round, type StageResult } from "../lib/stage.ts";
import { maskSecrets } from "../lib/mask.ts";
import { checkDate, dailyDir, runGenerate } from "../stages/generate.ts";
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
import { monitorAfterRun } from "../stages/monitor.ts";
import { runDays } from "./backfill.ts";
import { runIngest } from "../stages/ingest.ts";
import { gateError, runQuality } from "../stages/quality.ts";
import { ensureSchema } from "../lib/schema.ts";
import { runTransform } from "../stages/transform.ts";
import { runWarehouse } from "../stages/warehouse.ts";
import { runAnalytics } from "../stages/analytics.ts";
import { runDashboard } from "../stages/dashboard.ts";
import { copyFileAtomic } from "../lib/atomic.ts";
import { closest } from "../lib/suggest.ts";

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
    run: ({ config, options }) => runGenerate(config, { date: options.date }),
  },
  {
    name: "ingest",
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
    run: async ({ config, db, runId, options }) =>
      runTransform(config, await db(), {
        runId,
        incremental: options.date !== undefined,
        businessDate: options.date,
      }),
  },
  {
    name: "warehouse",
    run: async ({ config, db, options }) =>
      runWarehouse(config, await db(), {
        asOf: options.date ?? options.asOf,
      }),
  },
  {
    name: "analytics",
    run: async ({ config, db }) => runAnalytics(config, await db()),
  },
  {
    name: "dashboard",
    // Right after analytics: its exports hold the dashboard's numbers.
    run: async ({ config, db }) =>
      runDashboard(config, await db(), { fromExports: true }),
  },
];

export const command: Command = {
  writes: true,
  name: "pipeline",
  summary: "run every stage in order: " + STEPS.map((s) => s.name).join(" -> "),
  flags: [
    {
      name: "allow-purge",
      type: "boolean",
      config: "quality.allowPurge",
      help:
        "accept a full load that empties or shrinks customers or products by more than half (a real purge)",
    },
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
    {
      name: "from-step",
      type: "string",
      arg: "STEP",
      help: "start at this step",
    },
    {
      name: "to-step",
      type: "string",
      arg: "STEP",
      help: "stop after this step",
    },
    {
      name: "from-date",
      type: "string",
      arg: "YYYY-MM-DD",
      help: "backfill day by day from this business day",
    },
    {
      name: "to-date",
      type: "string",
      arg: "YYYY-MM-DD",
      help: "backfill up to this business day",
    },
    {
      name: "from",
      type: "string",
      arg: "STEP|DATE",
      help: "--from-step or --from-date, by the value's shape",
    },
    {
      name: "to",
      type: "string",
      arg: "STEP|DATE",
      help: "--to-step or --to-date, by the value's shape",
    },
    {
      name: "scale",
      type: "number",
      config: "generate.scale",
      help: "data volume multiplier for the generate step",
      defaultText: "1",
    },
    { name: "only", type: "string", arg: "STEP", help: "run just this step" },
    {
      name: "resume",
      type: "boolean",
      help: "continue the last failed run from its failed step",
    },
    {
      name: "date",
      type: "string",
      arg: "YYYY-MM-DD",
      help: "process one business day's increment (DATA_DIR/raw/DATE)",
    },
    {
      name: "rebuild",
      type: "boolean",
      help:
        "empty production and warehouse, reload the history, replay the days",
    },
  ],
  details: "Steps: " + STEPS.map((s) => s.name).join(", ") +
    ".\nTransient errors (lost connection, deadlock, serialization failure, too many\n" +
    "connections) are retried with exponential backoff (pipeline.retry in the config);\n" +
    "data errors fail at once. Writes DATA_DIR/processed/pipeline_execution_report.json.\n\n" +
    "Daily operation: --date D generates (unless --skip-generate/--input) and loads\n" +
    "day D's increment: its facts are added and dimensions updated; re-running a day\n" +
    "changes nothing. --from D1 --to D2 backfills day by day. The first daily run\n" +
    "loads the base history (generate.startDate..endDate) when the database is empty.\n" +
    "Only one run at a time: DATA_DIR/pipeline.lock (and an advisory lock on a server).",
};

/** A step's entry in the report. */
export interface StepReport {
  status:
    | "success"
    | "failed"
    | "interrupted"
    | "skipped"
    | "not_run"
    | "running";
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
  status: "success" | "failed" | "interrupted";
  steps_executed: Record<string, StepReport>;
  errors: Array<{ step: string; message: string }>;
  warnings: string[];
  backend?: string;
  resumed_from?: string;
  business_date?: string;
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
      const guess = closest(v, names);
      throw new PipelineError(
        "USAGE",
        `--${flag} ${v}: no such step${
          guess ? `; did you mean ${guess}?` : ""
        } (steps: ${names.join(", ")})`,
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

function newReport(
  runId: string,
  start: Date,
  all: Step[],
  steps: Step[],
  resumedFrom: string | undefined,
  date: string | undefined,
): PipelineReport {
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
    ...(date ? { business_date: date } : {}),
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
  return report;
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
      await copyFileAtomic(
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

/** The monitor runs after every pipeline run; its verdict never fails the run. */
async function logHealth(config: Config): Promise<void> {
  log("pipeline").info("health: {line}", {
    line: await monitorAfterRun(config),
  });
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** CLI entry point: exit 1 when a step failed. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    const v = ctx.values as Record<string, string | boolean | undefined>;
    const isDate = (x: string | undefined) =>
      x !== undefined && ISO_DATE.test(x);
    // --from/--to are the documented aliases: a date's shape picks the date.
    const pick = (alias: string, step: string, date: string) => {
      const a = v[alias] as string | undefined;
      if (a !== undefined && (v[step] !== undefined || v[date] !== undefined)) {
        throw new PipelineError(
          "USAGE",
          `--${alias} and --${step}/--${date} say the same thing: give one`,
        );
      }
      return {
        step: (v[step] as string | undefined) ?? (isDate(a) ? undefined : a),
        date: (v[date] as string | undefined) ?? (isDate(a) ? a : undefined),
      };
    };
    const fromPick = pick("from", "from-step", "from-date");
    const toPick = pick("to", "to-step", "to-date");
    const daily = v.date !== undefined || v.rebuild ||
      fromPick.date !== undefined || toPick.date !== undefined;
    const from = daily ? fromPick.date : fromPick.step;
    const to = daily ? toPick.date : toPick.step;
    if (daily && (fromPick.step || toPick.step)) {
      throw new PipelineError(
        "USAGE",
        "steps (--from-step/--to-step) apply to one run, not to a run over days",
      );
    }
    const options: PipelineOptions = {
      skipGenerate: v["skip-generate"] as boolean | undefined,
      inputDir: v.input as string | undefined,
      only: v.only as string | undefined,
      resume: v.resume as boolean | undefined,
    };
    {
      if (!daily) {
        const report = await runPipeline(ctx.config, { ...options, from, to });
        if (report.status === "interrupted") return 1;
        await logHealth(ctx.config);
        return report.status === "success" ? 0 : 1;
      }
      for (
        const [flag, x] of [["--date", v.date], ["--from-date", from], [
          "--to-date",
          to,
        ]]
      ) {
        if (x !== undefined) checkDate(x as string, flag as string);
      }
      const result = await runDays(ctx.config, {
        ...options,
        date: v.date as string | undefined,
        fromDate: from,
        toDate: to,
        rebuild: v.rebuild as boolean | undefined,
      });
      log("pipeline").info("{status}: {done}/{count} days ({first}..{last})", {
        status: result.status === "success" ? "days done" : "FAILED",
        done: result.reports.filter((r) =>
          r.business_date && r.status === "success"
        )
          .length,
        count: result.days.length,
        first: result.days[0],
        last: result.days.at(-1),
      });
      await logHealth(ctx.config);
      return result.status === "success" ? 0 : 1;
    }
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
