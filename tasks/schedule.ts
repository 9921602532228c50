#!/usr/bin/env -S deno run --unstable-cron --allow-read=data,logs,/proc --allow-write=data,logs --allow-env --allow-net --allow-sys=hostname
/**
 * The scheduler: a long-running process that fires the daily pipeline with
 * `Deno.cron` (UTC), processes the day due (yesterday by default), catches
 * up days missed while it was down, and runs cleanup after a successful
 * tick. One scheduler at a time (DATA_DIR/scheduler.lock); each tick takes
 * the pipeline lock, so a manual run and a tick never overlap.
 *
 * @module
 */
import { Cron } from "croner";
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { openDb } from "../lib/db.ts";
import { describeError, PipelineError } from "../lib/errors.ts";
import { acquireFileLock, LockedError, withPipelineLock } from "../lib/lock.ts";
import { interruption } from "../lib/interrupt.ts";
import { schedulerLockPath } from "../lib/paths.ts";
import { log } from "../lib/log.ts";
import { maskSecrets } from "../lib/mask.ts";
import { dayOf, isoOf } from "../lib/synth/dates.ts";
import { ensureSchema } from "../lib/schema.ts";
import { runCleanup } from "../stages/cleanup.ts";
import { monitorAfterRun } from "../stages/monitor.ts";
import {
  daysBetween,
  firstDailyDay,
  processedDays,
  runDays,
} from "./backfill.ts";
import type { PipelineOptions } from "./pipeline.ts";

export const command: Command = {
  name: "schedule",
  summary:
    "run the daily pipeline on a cron schedule (UTC), with catch-up and cleanup",
  flags: [
    {
      name: "cron",
      type: "string",
      config: "schedule.cron",
      arg: "EXPR",
      help: "five-field cron expression, in UTC",
      defaultText: '"30 2 * * *"',
    },
    {
      name: "catch-up",
      type: "number",
      config: "schedule.catchUpLimit",
      help: "process at most N missed days per tick, oldest first",
      defaultText: "7",
    },
    { name: "once", type: "boolean", help: "run one tick now and exit" },
    {
      name: "status",
      type: "boolean",
      help: "print the last runs and the next scheduled times, and exit",
    },
  ],
  details: [
    'Deno.cron runs in UTC: "30 2 * * *" fires at 02:30 UTC. Each tick processes the',
    "day schedule.dayOffset days before the tick's UTC date (yesterday by default),",
    "after any days missed since the last successful daily run (up to --catch-up),",
    "then runs cleanup if the pipeline succeeded. Activity goes to",
    "LOG_DIR/scheduler_activity.log. Needs --unstable-cron (the task passes it).",
  ].join("\n"),
};

/** Validates `expr` with croner; a five-field expression in UTC. */
export function parseSchedule(expr: string): Cron {
  try {
    return new Cron(expr, { paused: true, timezone: "UTC", mode: "5-part" });
  } catch (err) {
    throw new PipelineError(
      "USAGE",
      `invalid cron expression "${expr}": ${(err as Error).message}`,
      {
        hint:
          'five fields in UTC: minute hour day-of-month month day-of-week, e.g. "30 2 * * *"',
      },
    );
  }
}

/** Appends one line to LOG_DIR/scheduler_activity.log and logs it. */
export async function activity(
  config: Config,
  event: string,
  message: string,
): Promise<void> {
  const line = `${new Date().toISOString()} ${event.padEnd(8)} ${
    maskSecrets(message)
  }\n`;
  log("schedule").info("{event}: {message}", {
    event,
    message: maskSecrets(message),
  });
  await Deno.mkdir(config.logDir, { recursive: true });
  await Deno.writeTextFile(`${config.logDir}/scheduler_activity.log`, line, {
    append: true,
  });
}

/** What one tick did. */
export interface TickResult {
  status: "success" | "failed" | "skipped";
  days: string[];
  reason?: string;
}

/** Options of one tick (tests set `now` and the steps). */
export interface TickOptions extends Pick<PipelineOptions, "steps" | "sleep"> {
  now?: Date;
}

/**
 * The days a tick at `now` processes: the days after the last successful
 * daily run up to the day due, oldest first, at most `catchUpLimit`; just
 * the day due when no daily run ever succeeded.
 */
export function daysDue(
  config: Config,
  now: Date,
  done: string[],
): { due: string; days: string[]; missed: number } {
  const s = config.schedule;
  const due = isoOf(Math.floor(now.getTime() / 86_400_000) - s.dayOffset);
  const last = done.at(-1);
  const from = last
    ? isoOf(Math.max(dayOf(last) + 1, dayOf(firstDailyDay(config))))
    : due;
  if (dayOf(from) > dayOf(due)) return { due, days: [], missed: 0 };
  const all = daysBetween(from, due);
  return { due, days: all.slice(0, s.catchUpLimit), missed: all.length };
}

/** One tick: process the due (and missed) days under the pipeline lock, then clean up. */
export async function tick(
  config: Config,
  options: TickOptions = {},
): Promise<TickResult> {
  const now = options.now ?? new Date();
  try {
    return await withPipelineLock(config, "scheduler tick", async () => {
      const db = await openDb(config);
      let done: string[];
      try {
        await ensureSchema(db);
        done = await processedDays(db);
      } finally {
        await db.close();
      }
      const { due, days, missed } = daysDue(config, now, done);
      if (days.length === 0) {
        await activity(config, "skip", `${due} already processed`);
        return {
          status: "skipped" as const,
          days,
          reason: "already processed",
        };
      }
      if (missed > days.length) {
        await activity(
          config,
          "catch-up",
          `${missed} days behind: processing ${days[0]}..${
            days.at(-1)
          } now, the rest on the next ticks`,
        );
      } else if (days.length > 1) {
        await activity(
          config,
          "catch-up",
          `processing missed days ${days[0]}..${days.at(-1)}`,
        );
      }
      await activity(config, "run", `pipeline for ${days.join(", ")}`);
      const result = await runDays(config, {
        fromDate: days[0],
        toDate: days.at(-1),
        steps: options.steps,
        sleep: options.sleep,
      });
      const last = result.reports.at(-1);
      if (result.status !== "success") {
        await activity(
          config,
          "failed",
          `run ${last?.pipeline_execution_id}: ${
            last?.errors.map((e) => `${e.step}: ${e.message}`).join("; ")
          }`,
        );
        await activity(config, "health", await monitorAfterRun(config));
        return { status: "failed" as const, days };
      }
      await activity(
        config,
        "success",
        `${days.length} day(s) in ${
          result.reports.reduce((a, r) => a + r.total_duration_seconds, 0)
            .toFixed(1)
        } s (last run ${last?.pipeline_execution_id})`,
      );
      if (config.schedule.cleanup) {
        const c = await runCleanup(config);
        await activity(config, "cleanup", c.summary);
      }
      await activity(config, "health", await monitorAfterRun(config));
      return { status: "success" as const, days };
    });
  } catch (err) {
    if (err instanceof LockedError) {
      await activity(config, "skip", `another run is active: ${err.message}`);
      return { status: "skipped", days: [], reason: err.message };
    }
    await activity(config, "failed", describeError(err));
    throw err;
  }
}

/** Prints the last runs and the next scheduled times. */
async function printStatus(config: Config, cron: Cron): Promise<void> {
  const db = await openDb(config);
  try {
    await ensureSchema(db);
    const runs = await db.query<Record<string, string | number | null>>(
      `SELECT run_id, mode, coalesce(business_date::text, '') AS day, status,
         to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS started,
         coalesce(round(extract(epoch FROM ended_at - started_at)::numeric, 1)::text, '') AS seconds,
         coalesce(failed_step, '') AS failed_step
       FROM ops.pipeline_runs ORDER BY started_at DESC LIMIT 10`,
    );
    console.log("Last runs (UTC):");
    if (runs.length === 0) console.log("  none yet");
    for (const r of runs) {
      console.log(
        `  ${r.started}  ${String(r.run_id).padEnd(24)} ${
          String(r.mode).padEnd(5)
        } ${String(r.day).padEnd(10)} ${String(r.status).padEnd(7)} ${
          String(r.seconds).padStart(7)
        } s ${r.failed_step}`,
      );
    }
  } finally {
    await db.close();
  }
  console.log(`Schedule "${cron.getPattern()}" (UTC); next runs:`);
  for (const d of cron.nextRuns(3)) console.log(`  ${d.toISOString()}`);
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    const config = ctx.config;
    const cron = parseSchedule(config.schedule.cron);
    if (ctx.values.status) {
      await printStatus(config, cron);
      return 0;
    }
    if (ctx.values.once) {
      const r = await tick(config);
      return r.status === "failed" ? 1 : 0;
    }
    if (typeof Deno.cron !== "function") {
      throw new PipelineError("USAGE", "Deno.cron is not available", {
        hint: "run with --unstable-cron (deno task schedule passes it)",
      });
    }
    await Deno.mkdir(config.dataDir, { recursive: true });
    const lock = await acquireFileLock(schedulerLockPath(config), "scheduler");
    const next = cron.nextRuns(3).map((d) => d.toISOString()).join(", ");
    await activity(
      config,
      "start",
      `schedule "${config.schedule.cron}" (UTC); next: ${next}`,
    );
    // A signal interrupts a running tick at its next safe point (see
    // lib/interrupt.ts): it records its run interrupted and rolls back; the
    // scheduler waits for that, then frees its lock and exits.
    let ticking: Promise<unknown> | undefined;
    const runTick = async () => {
      ticking = tick(config).catch(() => {});
      await ticking;
      ticking = undefined;
    };
    const stop = () => {
      const busy = ticking !== undefined;
      activity(
        config,
        "stop",
        busy ? "signal received during a tick" : "signal received",
      )
        .then(() => ticking)
        .finally(async () => {
          await lock.release();
          Deno.exit(busy ? interruption()?.exitCode ?? 0 : 0);
        });
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    // Catch-up at start-up: days missed while the scheduler was down.
    await runTick();
    Deno.cron("ecom-pipeline daily", config.schedule.cron, async () => {
      if (interruption()) return;
      await runTick();
      await activity(config, "next", cron.nextRun()?.toISOString() ?? "none");
    });
    await new Promise(() => {}); // runs until a signal
    return 0;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
