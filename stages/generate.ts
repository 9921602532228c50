#!/usr/bin/env -S deno run --allow-read=data,logs --allow-write=data,logs --allow-env
/**
 * Stage 1: generate the synthetic shop as the contract's CSV files, with
 * injected defects recorded in `injected_defects.csv`.
 *
 * @example
 * ```sh
 * deno task generate --scale 10 --seed 7
 * ```
 * @module
 */
import { type Command, type CommandContext, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { log } from "../lib/log.ts";
import { progress } from "../lib/progress.ts";
import { generateShop, type ShopMetadata } from "../lib/synth/shop.ts";
import { n, secondsSince, type StageResult } from "../lib/stage.ts";
import { PipelineError } from "../lib/errors.ts";
import { dayOf, isoOf } from "../lib/synth/dates.ts";
import { type DayMetadata, generateDay } from "../lib/synth/daily.ts";
import { dailyRawDir, rawDir } from "../lib/paths.ts";

export const command: Command = {
  writes: true,
  name: "generate",
  summary: "write synthetic customers, products, transactions and items as CSV",
  flags: [
    {
      name: "seed",
      type: "number",
      config: "generate.seed",
      help: "random seed; same seed and options give identical files",
      defaultText: "42",
    },
    {
      name: "scale",
      type: "number",
      config: "generate.scale",
      help: "multiplies 1,000 customers / 500 products / 10,000 transactions",
      defaultText: "1",
    },
    {
      name: "start-date",
      type: "string",
      config: "generate.startDate",
      arg: "YYYY-MM-DD",
      help: "first order date",
      defaultText: "2025-01-01",
    },
    {
      name: "end-date",
      type: "string",
      config: "generate.endDate",
      arg: "YYYY-MM-DD",
      help: "last order date",
      defaultText: "2025-12-31",
    },
    {
      name: "defect-rate",
      type: "number",
      config: "generate.defectRate",
      help: "share of rows given an injected defect (0 for clean data)",
      defaultText: "0.02",
    },
    {
      name: "date",
      type: "string",
      arg: "YYYY-MM-DD",
      help:
        "write one day's increment (after --end-date) into DATA_DIR/raw/DATE instead",
    },
    {
      name: "out",
      type: "string",
      arg: "DIR",
      help: "output directory",
      defaultText: "DATA_DIR/raw",
    },
  ],
  details:
    "With --date, writes that day's increment (its orders, new and changed\n" +
    "customers, price changes), deterministic from the seed and the date.\n" +
    "Writes customers.csv, products.csv, transactions.csv, " +
    "transaction_items.csv,\ninjected_defects.csv and generation_metadata.json, " +
    "overwriting earlier files.",
};

/** Options of one generate run. */
export interface GenerateOptions {
  outDir?: string;
  /** Write this business day's increment instead of the base history. */
  date?: string;
}

/** Runs generation with the configuration's options. */
export async function runGenerate(
  config: Config,
  options: GenerateOptions = {},
): Promise<StageResult & { metadata: ShopMetadata | DayMetadata }> {
  const g = config.generate;
  if (dayOf(g.endDate) < dayOf(g.startDate)) {
    throw new PipelineError(
      "CONFIG_INVALID",
      `generate.endDate (${g.endDate}) is before generate.startDate (${g.startDate})`,
    );
  }
  if (options.date !== undefined) return await runGenerateDay(config, options);
  const outDir = options.outDir ?? rawDir(config);
  const start = performance.now();
  const logger = log("generate");
  logger.info(
    "generating scale {scale} (seed {seed}, {startDate}..{endDate}, defect rate {defectRate}) into {outDir}",
    { ...g, outDir },
  );
  const bar = progress("generate transactions", 0);
  let metadata: ShopMetadata;
  try {
    metadata = await generateShop({
      ...g,
      outDir,
      onProgress: (done, total) => bar.update(done, total),
    });
  } catch (err) {
    throw permissionError(err, outDir);
  }
  bar.done();
  const c = metadata.counts;
  const rows = c["customers.csv"] + c["products.csv"] + c["transactions.csv"] +
    c["transaction_items.csv"];
  const summary = `${n(rows)} rows (${n(c["customers.csv"])} customers, ${
    n(c["products.csv"])
  } products, ${n(c["transactions.csv"])} transactions, ${
    n(c["transaction_items.csv"])
  } items, ${n(c["injected_defects.csv"])} injected defects) in ${
    secondsSince(start)
  } s -> ${outDir}`;
  logger.info("{summary}", { summary });
  return { rows, summary, metadata };
}

/** The daily increment of `options.date` (see lib/synth/daily.ts). */
async function runGenerateDay(
  config: Config,
  options: GenerateOptions,
): Promise<StageResult & { metadata: DayMetadata }> {
  const g = config.generate;
  const date = checkDate(options.date!, "--date");
  if (dayOf(date) <= dayOf(g.endDate)) {
    throw new PipelineError(
      "USAGE",
      `--date ${date} is inside the base history (${g.startDate}..${g.endDate})`,
      {
        hint:
          `daily increments start the day after generate.endDate; pick a later date or set an earlier --end-date`,
      },
    );
  }
  const outDir = options.outDir ?? dailyDir(config, date);
  const start = performance.now();
  let metadata: DayMetadata;
  try {
    metadata = await generateDay({ ...g, date, outDir });
  } catch (err) {
    throw permissionError(err, outDir);
  }
  const c = metadata.counts;
  const ch = metadata.changes;
  const rows = c["customers.csv"] + c["products.csv"] + c["transactions.csv"] +
    c["transaction_items.csv"];
  const summary = `${date}: ${n(c["transactions.csv"])} transactions, ${
    n(c["transaction_items.csv"])
  } items, ${ch.new_customers} new customers, ${
    ch.moved_customers + ch.email_changes
  } customer changes, ${ch.price_changes} price changes in ${
    secondsSince(start)
  } s -> ${outDir}`;
  log("generate").info("{summary}", { summary });
  return { rows, summary, metadata };
}

/** Where a day's increment lives: `DATA_DIR/raw/YYYY-MM-DD`. */
export function dailyDir(config: Config, date: string): string {
  return dailyRawDir(config, date);
}

/**
 * A valid calendar date `YYYY-MM-DD`, or a usage error naming the flag.
 *
 * @example
 * ```ts
 * checkDate("2026-02-30", "--date"); // throws USAGE: not a calendar date
 * ```
 */
export function checkDate(value: string, flag: string): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? dayOf(value) : NaN;
  // 2026-13-45 parses to NaN; 2026-02-30 to a day that prints otherwise.
  if (!Number.isFinite(day) || isoOf(day) !== value) {
    throw new PipelineError(
      "USAGE",
      `${flag} must be a calendar date YYYY-MM-DD: got "${value}"`,
    );
  }
  return value;
}

function permissionError(err: unknown, outDir: string): unknown {
  if (!(err instanceof Deno.errors.NotCapable)) return err;
  return new PipelineError(
    "PERMISSION",
    `Not allowed to write ${outDir}: ${err.message}`,
    {
      hint: `write under the data directory, or grant --allow-write=${outDir}`,
    },
  );
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx: CommandContext) => {
    await runGenerate(ctx.config, {
      outDir: ctx.values.out as string | undefined,
      date: ctx.values.date as string | undefined,
    });
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
