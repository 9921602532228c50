#!/usr/bin/env -S deno run --allow-read --allow-write --allow-env --allow-net --allow-run=psql
/**
 * Benchmark: times every pipeline stage at a given scale and, on the server
 * backend, compares the staging load with `psql \copy` of the same files
 * into the same tables. A measuring tool, not a test: it never fails because
 * a machine is slow.
 *
 * @example
 * ```sh
 * DATABASE_URL=postgres://localhost/test deno task bench --scale 100 --backend server --runs 3
 * ```
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { openDb } from "../lib/db.ts";
import { CONTRACT_COLUMNS, fileOf, TABLES } from "../lib/contract.ts";
import { PipelineError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { STEPS } from "./pipeline.ts";
import { firstDailyDay, runDays } from "./backfill.ts";
import { round } from "../lib/stage.ts";
import { newRunId } from "../lib/run_id.ts";
import { writeFileAtomic } from "../lib/atomic.ts";
import { ensureSchema } from "../lib/schema.ts";
import resetSql from "../sql/warehouse/reset.sql" with { type: "text" };
import { processedDir, rawDir } from "../lib/paths.ts";

export const command: Command = {
  writes: true,
  name: "bench",
  summary:
    "time each stage (and psql \\copy on a server) and write JSON figures",
  flags: [
    {
      name: "scale",
      type: "number",
      config: "generate.scale",
      help: "data volume multiplier",
      defaultText: "1",
    },
    {
      name: "backend",
      type: "string",
      arg: "embedded|server",
      help: "which database to measure",
      defaultText: "server if DATABASE_URL is set",
    },
    {
      name: "runs",
      type: "number",
      help: "repetitions; figures are medians",
      defaultText: "3",
    },
    {
      name: "until",
      type: "string",
      arg: "STEP",
      help: "stop after this stage",
      defaultText: "the last",
    },
    {
      name: "warm",
      type: "boolean",
      help:
        "keep production and the warehouse between runs (re-runs); by default each run starts empty (first loads), so runs are independent",
    },
    {
      name: "out",
      type: "string",
      arg: "FILE",
      help: "where to write the JSON",
      defaultText: "DATA_DIR/processed/bench.json",
    },
  ],
};

interface Figure {
  rows: number;
  seconds: number;
  rows_per_second: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Times `psql \copy` of the four files into the staging tables. */
async function psqlCopy(url: string, rawDir: string): Promise<number> {
  let seconds = 0;
  for (const t of TABLES) {
    const cols = CONTRACT_COLUMNS[t].join(", ");
    await psql(url, [`TRUNCATE staging.${t} RESTART IDENTITY`]);
    const t0 = performance.now();
    await psql(url, [
      `\\copy staging.${t} (${cols}) FROM '${rawDir}/${
        fileOf(t)
      }' WITH (FORMAT csv, HEADER true)`,
    ]);
    seconds += (performance.now() - t0) / 1000;
  }
  return seconds;
}

async function psql(url: string, commands: string[]): Promise<void> {
  let out;
  try {
    out = await new Deno.Command("psql", {
      args: [
        url,
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        ...commands.flatMap((c) => ["-c", c]),
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new PipelineError(
      "BENCH",
      `cannot run psql for the baseline: ${(err as Error).message}`,
      {
        hint: "install the PostgreSQL client (psql) or use --backend embedded",
      },
    );
  }
  if (!out.success) {
    throw new PipelineError(
      "BENCH",
      `psql failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

/** Runs the benchmark and returns the JSON document. */
export async function runBench(
  config: Config,
  backend: "embedded" | "server",
  runs: number,
  until?: string,
  fresh = false,
) {
  const logger = log("bench");
  const last = until
    ? STEPS.findIndex((s) => s.name === until)
    : STEPS.length - 1;
  if (last < 0) {
    throw new PipelineError("USAGE", `--until ${until}: no such stage`);
  }
  if (backend === "server" && !config.databaseUrl) {
    throw new PipelineError(
      "USAGE",
      "--backend server needs DATABASE_URL (or --database-url)",
    );
  }
  const cfg: Config = backend === "embedded"
    ? { ...config, databaseUrl: undefined }
    : config;
  const perStage: Record<string, { rows: number; seconds: number[] }> = {};
  const copySeconds: number[] = [];
  const totals: number[] = [];
  const qualityTransform: number[] = [];
  let copyRows = 0;
  for (let run = 1; run <= runs; run++) {
    // Each run is a run of its own: its rejects and quality results are
    // recorded under its own id.
    const runId = newRunId();
    const db = await openDb(cfg);
    let total = 0;
    const qt: number[] = [];
    try {
      if (fresh) {
        await ensureSchema(db);
        await db.exec(resetSql);
      }
      for (const step of STEPS.slice(0, last + 1)) {
        // The baseline loads the files generate just wrote, before ingest
        // loads them again, so later stages see the pipeline's own load.
        if (step.name === "ingest" && backend === "server") {
          await ensureSchema(db);
          copySeconds.push(
            await psqlCopy(cfg.databaseUrl!, rawDir(cfg)),
          );
        }
        const t0 = performance.now();
        const result = await step.run({
          config: cfg,
          db: () => Promise.resolve(db),
          runId,
          options: {},
        });
        const seconds = (performance.now() - t0) / 1000;
        total += seconds;
        (perStage[step.name] ??= { rows: result.rows, seconds: [] }).seconds
          .push(seconds);
        if (step.name === "quality" || step.name === "transform") {
          qt.push(seconds);
        }
        if (step.name === "ingest") copyRows = result.rows;
      }
    } finally {
      await db.close();
    }
    totals.push(total);
    if (qt.length === 2) qualityTransform.push(qt[0] + qt[1]);
    logger.info("run {run}/{runs}: {seconds} s", {
      run,
      runs,
      seconds: round(total, 1),
    });
  }
  const stages: Record<string, Figure> = {};
  for (const [name, s] of Object.entries(perStage)) {
    const seconds = median(s.seconds);
    stages[name] = {
      rows: s.rows,
      seconds: round(seconds),
      rows_per_second: Math.round(s.rows / seconds),
    };
  }
  const doc: Record<string, unknown> = {
    scale: cfg.generate.scale,
    backend,
    runs,
    stages,
    total_seconds: round(median(totals)),
    fresh,
  };
  if (qualityTransform.length) {
    // The figure issue #3 names: both stages, median of the runs.
    doc.quality_plus_transform_seconds = round(median(qualityTransform));
    doc.quality_plus_transform_runs = qualityTransform.map((x) => round(x));
  }
  if (last === STEPS.length - 1) {
    // A day's increment on top of the loaded history, the whole pipeline with
    // the dashboard: what the scheduler does every night.
    const day = firstDailyDay(cfg);
    const t0 = performance.now();
    const days = await runDays(cfg, { date: day });
    if (days.status !== "success") {
      throw new PipelineError(
        "BENCH",
        `the daily increment ${day} failed: ${
          JSON.stringify(days.reports.at(-1)?.errors)
        }`,
      );
    }
    doc.daily_increment = {
      business_date: day,
      seconds: round((performance.now() - t0) / 1000),
      steps: Object.fromEntries(
        Object.entries(days.reports.at(-1)!.steps_executed).map((
          [k, v],
        ) => [k, v.duration_seconds]),
      ),
    };
  }
  if (backend === "server") {
    const copy = median(copySeconds);
    doc.baseline = {
      psql_copy_seconds: round(copy),
      psql_copy_rows_per_second: Math.round(copyRows / copy),
    };
    doc.ingest_vs_copy_ratio = round(copy / stages.ingest.seconds);
  }
  return doc;
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    const backend = (ctx.values.backend as string | undefined) ??
      (ctx.config.databaseUrl ? "server" : "embedded");
    if (backend !== "embedded" && backend !== "server") {
      throw new PipelineError(
        "USAGE",
        `--backend must be embedded or server: got "${backend}"`,
      );
    }
    const runs = (ctx.values.runs as number | undefined) ?? 3;
    const doc = await runBench(
      ctx.config,
      backend,
      runs,
      ctx.values.until as string | undefined,
      !(ctx.values.warm as boolean | undefined),
    );
    const out = (ctx.values.out as string | undefined) ??
      `${processedDir(ctx.config)}/bench.json`;
    await Deno.mkdir(out.slice(0, Math.max(0, out.lastIndexOf("/"))) || ".", {
      recursive: true,
    });
    await writeFileAtomic(out, JSON.stringify(doc, null, 2) + "\n");
    console.log(JSON.stringify(doc, null, 2));
    console.log(`bench: written to ${out}`);
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
