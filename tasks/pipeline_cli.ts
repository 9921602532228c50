#!/usr/bin/env -S deno run --allow-read=data,logs,node_modules --allow-write=data,logs --allow-env --allow-net
/**
 * `ecom pipeline`: the command line of the pipeline (tasks/pipeline.ts) and
 * of runs over business days (tasks/backfill.ts), then the monitor.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { PipelineError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { checkDate } from "../stages/generate.ts";
import { monitorAfterRun } from "../stages/monitor.ts";
import { runDays } from "./backfill.ts";
import { type PipelineOptions, runPipeline, STEPS } from "./pipeline.ts";

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
