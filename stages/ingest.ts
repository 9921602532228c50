#!/usr/bin/env -S deno run --allow-read=data,logs,node_modules --allow-write=data,logs --allow-env --allow-net
/**
 * Stage 2: load the four raw CSV files into the `staging` schema with COPY,
 * all four in one transaction: either every table holds the new files or
 * every table still holds the previous load.
 *
 * @example
 * ```sh
 * deno task ingest --input path/to/exports
 * ```
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { type Db, ident, literal } from "../lib/db.ts";
import {
  CONTRACT_COLUMNS,
  fileOf,
  type Table,
  TABLES,
} from "../lib/contract.ts";
import { checkHeader, type HeaderCheck } from "../lib/csv_header.ts";
import { newChunkStats, recordChunks } from "../lib/csv_chunks.ts";
import { resolveGranted } from "../lib/granted.ts";
import { PipelineError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { progress } from "../lib/progress.ts";
import { writeReport } from "../lib/report.ts";
import { n, round, secondsSince, type StageResult } from "../lib/stage.ts";
import { faultPoint } from "../lib/fault.ts";
import { ensureSchema } from "../lib/schema.ts";
import { rawDir } from "../lib/paths.ts";

export const command: Command = {
  writes: true,
  name: "ingest",
  summary: "load the raw CSV files into the staging schema (atomic, COPY)",
  flags: [
    {
      name: "input",
      type: "string",
      arg: "DIR",
      help: "directory holding the four contract CSV files",
      defaultText: "DATA_DIR/raw",
    },
  ],
  details: [
    "Files: customers.csv, products.csv, transactions.csv, transaction_items.csv",
    "(UTF-8, header row, RFC 4180). Extra columns are ignored with a warning; a",
    "missing column or a malformed row fails the load and staging keeps the",
    "previous load. Writes DATA_DIR/processed/ingestion_summary.json.",
    "",
    "Files outside the data directory need a read grant, e.g.",
    "  deno run --allow-read=data,logs,node_modules,/path/to/exports ... main.ts ingest --input /path/to/exports",
  ].join("\n"),
};

/** Per-table figures in `ingestion_summary.json`. */
export interface TableLoad {
  file: string;
  rows: number;
  bytes: number;
  seconds: number;
  rows_per_second: number;
  extra_columns_ignored: string[];
}

/** Options of one ingest run. */
export interface IngestOptions {
  /** Directory with the four files. @default DATA_DIR/raw */
  inputDir?: string;
}

/**
 * Loads the four files into staging atomically and writes the summary.
 *
 * @throws {PipelineError} naming the file and line for header or CSV errors.
 *
 * @example
 * ```ts
 * const result = await runIngest(config, db, { inputDir: "data/exports" });
 * result.tables.customers.rows;
 * ```
 */
export async function runIngest(
  config: Config,
  db: Db,
  options: IngestOptions = {},
): Promise<StageResult & { tables: Record<Table, TableLoad> }> {
  const logger = log("ingest");
  const inputDir = options.inputDir ?? rawDir(config);
  const start = performance.now();

  // Check every header before touching the database.
  const headers = {} as Record<Table, HeaderCheck>;
  const sizes = {} as Record<Table, number>;
  for (const table of TABLES) {
    const path = `${inputDir}/${fileOf(table)}`;
    sizes[table] = await fileSize(path, inputDir, rawDir(config));
    headers[table] = await checkHeader(path, CONTRACT_COLUMNS[table]);
    if (headers[table].extra.length) {
      logger.warn("{file}: ignoring extra column(s) {extra}", {
        file: path,
        extra: headers[table].extra.join(", "),
      });
    }
  }
  const totalBytes = Object.values(sizes).reduce((a, b) => a + b, 0);
  logger.info("loading {files} ({mb} MiB) from {dir} into {db}", {
    files: TABLES.map(fileOf).join(", "),
    mb: Math.round(totalBytes / 2 ** 20 * 10) / 10,
    dir: inputDir,
    db: db.label,
  });

  await ensureSchema(db);
  const bar = progress("ingest", totalBytes, {
    // One decimal below 10 MiB: "0.3 MiB/2.4 MiB", not "0MiB/2MiB".
    format: (b) => {
      const mib = b / 2 ** 20;
      return `${mib < 10 ? mib.toFixed(1) : mib.toFixed(0)} MiB`;
    },
  });
  let doneBytes = 0;
  const tables = {} as Record<Table, TableLoad>;
  await db.transaction(async (tx) => {
    await tx.exec(
      `TRUNCATE ${
        TABLES.map((t) => `staging.${t}`).join(", ")
      } RESTART IDENTITY`,
    );
    for (const table of TABLES) {
      const t0 = performance.now();
      const path = `${inputDir}/${fileOf(table)}`;
      const rows = await loadFile(
        tx,
        config,
        table,
        path,
        headers[table],
        (b) => {
          bar.update(doneBytes + b);
        },
      );
      doneBytes += sizes[table];
      const seconds = (performance.now() - t0) / 1000;
      tables[table] = {
        file: path,
        rows,
        bytes: sizes[table],
        seconds: round(seconds),
        rows_per_second: Math.round(rows / Math.max(seconds, 1e-3)),
        extra_columns_ignored: headers[table].extra,
      };
      if (table === TABLES[0]) await faultPoint("ingest");
    }
  });
  bar.done();
  // Fresh statistics, so the quality and transform plans fit millions of
  // rows rather than the previous load's size. One table per connection at
  // once on a server (the embedded database runs them one after another).
  await Promise.all(TABLES.map((t) => db.exec(`ANALYZE staging.${t}`)));

  const rows = Object.values(tables).reduce((a, t) => a + t.rows, 0);
  const seconds = (performance.now() - start) / 1000;
  await writeReport(config, "ingestion_summary.json", {
    ingestion_timestamp: new Date().toISOString(),
    backend: db.kind,
    database: db.label,
    input_dir: inputDir,
    tables,
    total_rows: rows,
    total_bytes: totalBytes,
    total_seconds: round(seconds),
    rows_per_second: Math.round(rows / Math.max(seconds, 1e-3)),
  });
  const summary = `${n(rows)} rows into staging (${
    TABLES.map((t) => `${t} ${n(tables[t].rows)}`).join(", ")
  }) in ${secondsSince(start)} s`;
  logger.info("{summary}", { summary });
  const warnings = TABLES.filter((t) => headers[t].extra.length).map((t) =>
    `${fileOf(t)}: ignored extra column(s) ${headers[t].extra.join(", ")}`
  );
  return { rows, summary, tables, warnings };
}

/** COPYs one file into its staging table and checks the row count. */
async function loadFile(
  tx: Db,
  config: Config,
  table: Table,
  path: string,
  header: HeaderCheck,
  onBytes: (bytes: number) => void,
): Promise<number> {
  await tx.exec(`SET LOCAL ecom.source_file = ${literal(fileOf(table))}`);
  const stats = newChunkStats();
  const file = await Deno.open(path);
  const source = countBytes(file.readable, onBytes);
  const chunkBytes = tx.kind === "embedded"
    ? config.ingest.chunkBytes
    : 1 << 20;
  const chunks = recordChunks(source, {
    maxBytes: chunkBytes,
    fields: header.columns.length,
    file: path,
  }, stats);
  const direct = header.extra.length === 0;
  // Without extra columns COPY goes straight into staging, in the file's
  // column order; with extras it lands in a temporary table first and only
  // the contract's columns move on.
  const target = direct ? `staging.${table}` : `pg_temp.load_${table}`;
  if (!direct) {
    await tx.exec(
      `CREATE TEMP TABLE load_${table} (${
        header.columns.map((_, i) => `c${i + 1} text`).join(", ")
      }, source_row bigint GENERATED BY DEFAULT AS IDENTITY) ON COMMIT DROP`,
    );
  }
  const columns = direct
    ? header.columns.map(ident).join(", ")
    : header.columns.map((_, i) => `c${i + 1}`).join(", ");
  try {
    await tx.copyFrom(
      `${target} (${columns})`,
      "FORMAT csv, HEADER true, ENCODING 'UTF8'",
      chunks,
      { header: true, firstLineOf: (i) => stats.chunkFirstLine[i] ?? 1 },
    );
  } catch (err) {
    throw copyError(path, err);
  } finally {
    try {
      file.close();
    } catch { /* already closed by the stream */ }
  }
  if (!direct) {
    const cols = CONTRACT_COLUMNS[table];
    const pick = cols.map((c) => `c${header.columns.indexOf(c) + 1}`);
    await tx.exec(
      `INSERT INTO staging.${table} (${cols.join(", ")}, source_row) SELECT ${
        pick.join(", ")
      }, source_row FROM load_${table} ORDER BY source_row`,
    );
  }
  const [{ count }] = await tx.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM staging.${table}`,
  );
  const expected = Math.max(0, stats.records - 1);
  if (count !== expected) {
    throw new PipelineError(
      "LOAD_COUNT_MISMATCH",
      `${path}: file has ${n(expected)} records but staging.${table} received ${
        n(count)
      }`,
    );
  }
  return count;
}

/** Passes bytes through, reporting the running total. */
async function* countBytes(
  source: ReadableStream<Uint8Array>,
  onBytes: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    onBytes(total);
    yield chunk;
  }
}

async function fileSize(
  path: string,
  dir: string,
  rawDir: string,
): Promise<number> {
  try {
    await resolveGranted(
      path,
      `copy the files into ${rawDir} instead of linking them, or grant the link's target directory to the task`,
    );
    const info = await Deno.stat(path);
    if (!info.isFile) throw new PipelineError("INPUT", `${path} is not a file`);
    return info.size;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw new PipelineError(
        "PERMISSION",
        `Not allowed to read ${path}: the ingest task may only read the data directory`,
        {
          hint: `copy the files into ${rawDir}, or grant the directory: ` +
            `deno run --allow-read=data,logs,node_modules,${dir} --allow-write=data,logs ` +
            `--allow-env --allow-net main.ts ingest --input ${dir}`,
        },
      );
    }
    if (err instanceof Deno.errors.NotFound) {
      throw new PipelineError("INPUT", `${path}: file not found`, {
        hint:
          "run `deno task generate` first, or pass --input DIR with the four contract files",
      });
    }
    throw err;
  }
}

/** Turns a COPY failure into "file: line N: reason". */
function copyError(path: string, err: unknown): unknown {
  const e = err as { message?: string; where?: string; code?: string };
  if (typeof e?.code !== "string" || !/^[0-9A-Z]{5}$/.test(e.code)) return err;
  const line = e.where?.match(/line (\d+)/)?.[1];
  const column = e.where?.match(/column (\w+)/)?.[1];
  return new PipelineError(
    "CSV_MALFORMED",
    `${path}: ${line ? `line ${line}: ` : ""}${e.message}${
      column ? ` (column ${column})` : ""
    }; staging keeps the previous load`,
    { cause: err },
  );
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    await runIngest(ctx.config, await ctx.db(), {
      inputDir: ctx.values.input as string | undefined,
    });
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
