#!/usr/bin/env -S deno run --allow-read=data,logs,node_modules --allow-write=data,logs --allow-env --allow-net
/**
 * Stage 6: the ten analytics queries over the warehouse, each streamed by
 * COPY to `DATA_DIR/processed/analytics/<name>.csv`, plus
 * `analytics_summary.json` with rows, columns and time per query.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import type { Db } from "../lib/db.ts";
import { checkHeader } from "../lib/csv_header.ts";
import { newChunkStats, recordChunks } from "../lib/csv_chunks.ts";
import { log } from "../lib/log.ts";
import { writeReport } from "../lib/report.ts";
import { n, round, secondsSince, type StageResult } from "../lib/stage.ts";
import { QUERIES } from "../lib/analytics_queries.ts";
import { ensureSchema } from "../lib/schema.ts";
import { withAtomicFile } from "../lib/atomic.ts";
import { neutralisingStream } from "../lib/csv_safe.ts";
import { faultPoint } from "../lib/fault.ts";
import { analyticsDir } from "../lib/paths.ts";

export { QUERIES };

export const command: Command = {
  writes: true,
  name: "analytics",
  summary: "run the ten analytics queries and export each as CSV",
  flags: [],
  details: `Writes DATA_DIR/processed/analytics/{${
    Object.keys(QUERIES).join(",")
  }}.csv\nand analytics_summary.json.`,
};

/** Per-query figures in `analytics_summary.json`. */
export interface QueryResult {
  file: string;
  rows: number;
  columns: string[];
  execution_time_ms: number;
}

/**
 * Runs every query and writes the exports and the summary.
 *
 * @example
 * ```ts
 * const { queries } = await runAnalytics(config, db);
 * queries.top_products_by_revenue.rows; // 10
 * ```
 */
export async function runAnalytics(
  config: Config,
  db: Db,
): Promise<StageResult & { queries: Record<string, QueryResult> }> {
  const logger = log("analytics");
  const start = performance.now();
  await ensureSchema(db);
  const dir = analyticsDir(config);
  await Deno.mkdir(dir, { recursive: true });
  const queries: Record<string, QueryResult> = {};
  for (const [name, sql] of Object.entries(QUERIES)) {
    const t0 = performance.now();
    const path = `${dir}/${name}.csv`;
    const written = { records: 0 };
    await withAtomicFile(path, async (file) => {
      if (config.analytics.rawText) {
        await db.copyTo(
          sql.trim().replace(/;$/, ""),
          "FORMAT csv, HEADER true",
          file.writable,
        );
        return;
      }
      const safe = neutralisingStream(written);
      const done = safe.readable.pipeTo(file.writable);
      await db.copyTo(
        sql.trim().replace(/;$/, ""),
        "FORMAT csv, HEADER true",
        safe.writable,
      );
      await done;
      await faultPoint("analytics"); // written, not yet in place
    });
    const ms = Math.round(performance.now() - t0);
    // Raw exports are not parsed on the way: counted from the file.
    if (config.analytics.rawText) written.records = await countRecords(path);
    queries[name] = {
      file: path,
      rows: written.records - 1,
      columns: (await checkHeader(path, [])).columns,
      execution_time_ms: ms,
    };
    logger.debug("{name}: {rows} rows in {ms} ms", {
      name,
      rows: queries[name].rows,
      ms,
    });
  }
  const seconds = (performance.now() - start) / 1000;
  await writeReport(config, "analytics/analytics_summary.json", {
    generation_timestamp: new Date().toISOString(),
    backend: db.kind,
    queries_executed: Object.keys(queries).length,
    query_results: queries,
    total_execution_time_seconds: round(seconds),
  });
  const rows = Object.values(queries).reduce((a, q) => a + q.rows, 0);
  const summary = `${Object.keys(queries).length} queries, ${
    n(rows)
  } result rows exported to ${dir} in ${secondsSince(start)} s`;
  logger.info("{summary}", { summary });
  return { rows, summary, queries };
}

async function countRecords(path: string): Promise<number> {
  const stats = newChunkStats();
  const file = await Deno.open(path);
  for await (
    const _ of recordChunks(
      file.readable,
      { maxBytes: 1 << 20, file: path },
      stats,
    )
  ) {
    // counting only
  }
  return stats.records;
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    await runAnalytics(ctx.config, await ctx.db());
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
