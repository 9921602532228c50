#!/usr/bin/env -S deno run --allow-read=data,logs,node_modules --allow-write=data,logs --allow-env --allow-net
/**
 * The pipeline: runs the stages in order, in this process, on one database
 * connection, and stops at the first failure.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import type { Db } from "../lib/db.ts";
import { log } from "../lib/log.ts";
import { secondsSince, type StageResult } from "../lib/stage.ts";
import { describeError } from "../lib/errors.ts";
import { runGenerate } from "../stages/generate.ts";
import { runIngest } from "../stages/ingest.ts";
import { gateError, runQuality } from "../stages/quality.ts";
import { runTransform } from "../stages/transform.ts";
import { runWarehouse } from "../stages/warehouse.ts";
import { runAnalytics } from "../stages/analytics.ts";

/** One step of the pipeline. */
export interface Step {
  name: string;
  run(
    config: Config,
    db: () => Promise<Db>,
    options: PipelineOptions,
  ): Promise<StageResult>;
}

/** Options of one pipeline run. */
export interface PipelineOptions {
  /** Load these CSV files instead of generating. */
  inputDir?: string;
  skipGenerate?: boolean;
}

export const STEPS: Step[] = [
  { name: "generate", run: (config) => runGenerate(config) },
  {
    name: "ingest",
    run: async (config, db, o) =>
      runIngest(config, await db(), { inputDir: o.inputDir }),
  },
  {
    name: "quality",
    run: async (config, db) => {
      const result = await runQuality(config, await db());
      if (!result.passed) throw gateError(result);
      return result;
    },
  },
  {
    name: "transform",
    run: async (config, db) => runTransform(config, await db()),
  },
  {
    name: "warehouse",
    run: async (config, db) => runWarehouse(config, await db()),
  },
  {
    name: "analytics",
    run: async (config, db) => runAnalytics(config, await db()),
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
  ],
};

/** Runs the steps in order; returns false at the first failure. */
export async function runPipeline(
  config: Config,
  db: () => Promise<Db>,
  options: PipelineOptions,
): Promise<boolean> {
  const logger = log("pipeline");
  const start = performance.now();
  const steps = STEPS.filter((s) =>
    !(s.name === "generate" && (options.skipGenerate || options.inputDir))
  );
  for (const step of steps) {
    const t0 = performance.now();
    try {
      const result = await step.run(config, db, options);
      logger.info("{step} ok  {rows} rows  {seconds} s", {
        step: step.name.padEnd(10),
        rows: result.rows,
        seconds: secondsSince(t0),
      });
    } catch (err) {
      logger.error("{step} FAILED after {seconds} s: {message}", {
        step: step.name,
        seconds: secondsSince(t0),
        message: describeError(err),
      });
      return false;
    }
  }
  logger.info("pipeline finished: {count} steps in {seconds} s", {
    count: steps.length,
    seconds: secondsSince(start),
  });
  return true;
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    const ok = await runPipeline(ctx.config, ctx.db, {
      skipGenerate: ctx.values["skip-generate"] as boolean | undefined,
      inputDir: ctx.values.input as string | undefined,
    });
    return ok ? 0 : 1;
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
