#!/usr/bin/env -S deno run --allow-read=data,logs,node_modules --allow-write=data,logs --allow-env --allow-net
/**
 * Stage 4: staging -> production. Cleanses, types, deduplicates and
 * constrains the data with set-based SQL in one transaction; every staging
 * row is accepted, rejected with its reasons, or collapsed as an exact
 * duplicate, and the counts must reconcile or nothing is committed.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { type Db, literal } from "../lib/db.ts";
import { PipelineError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { writeReport } from "../lib/report.ts";
import { newRunId } from "../lib/run_id.ts";
import { namedStatements, runNamed, Statements } from "../lib/sql_named.ts";
import { n, secondsSince, type StageResult } from "../lib/stage.ts";
import { TABLES } from "../lib/contract.ts";
import { ensureTypedStaging } from "../lib/typed_staging.ts";
import customersSql from "../sql/production/customers.sql" with {
  type: "text",
};
import productsSql from "../sql/production/products.sql" with { type: "text" };
import transactionsSql from "../sql/production/transactions.sql" with {
  type: "text",
};
import itemsSql from "../sql/production/transaction_items.sql" with {
  type: "text",
};
import loadSql from "../sql/production/load.sql" with { type: "text" };
import rejectsSql from "../sql/production/rejects.sql" with { type: "text" };
import accountingSql from "../sql/production/accounting.sql" with {
  type: "text",
};
import { ensureSchema } from "../lib/schema.ts";
import { faultPoint } from "../lib/fault.ts";
import { plausibleRange } from "../lib/plausible.ts";
import { PURGE_HINT, volumeProblems } from "../lib/volume_guard.ts";

/** One file per model, in the order they run (each says what it reads and writes). */
export const STATEMENTS = namedStatements([
  ["sql/production/customers.sql", customersSql],
  ["sql/production/products.sql", productsSql],
  ["sql/production/transactions.sql", transactionsSql],
  ["sql/production/transaction_items.sql", itemsSql],
  ["sql/production/load.sql", loadSql],
  ["sql/production/rejects.sql", rejectsSql],
  ["sql/production/accounting.sql", accountingSql],
]);

export const command: Command = {
  writes: true,
  name: "transform",
  summary:
    "cleanse staging into the constrained production tables (rejects kept)",
  flags: [{
    name: "allow-purge",
    type: "boolean",
    config: "quality.allowPurge",
    help:
      "accept a full load that empties or shrinks customers or products by more than half (a real purge)",
  }, {
    name: "incremental",
    type: "boolean",
    help:
      "staging holds an increment: do not mark absent customers/products inactive",
  }],
  details: [
    "Rejected rows go to production.rejected_records with every reason. Writes",
    "DATA_DIR/processed/transformation_summary.json.",
  ].join("\n"),
};

/** Per-table figures of `transformation_summary.json`. */
export interface TableSummary {
  input: number;
  output: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  duplicates_collapsed: number;
  deactivated?: number;
  corrected_values: Record<string, number>;
  rejected_by_reason: Record<string, number>;
  /** Optional values set to NULL (or recomputed) in accepted rows, by reason. */
  nulled_values: Record<string, number>;
}

/**
 * Runs the transform; throws (rolling everything back) if counts do not reconcile.
 *
 * @example
 * ```ts
 * const t = await runTransform(config, db, { incremental: true, businessDate: "2026-01-05" });
 * t.tables.transactions.rejected_by_reason;
 * ```
 */
export async function runTransform(
  config: Config,
  db: Db,
  options: {
    runId?: string;
    incremental?: boolean;
    /** The increment's business day: older days never overwrite newer rows. */
    businessDate?: string;
  } = {},
): Promise<StageResult & { tables: Record<string, TableSummary> }> {
  const logger = log("transform");
  const start = performance.now();
  const runId = options.runId ?? newRunId();
  await ensureSchema(db);

  if (!options.incremental) {
    // Also here: `deno task transform` may run without the quality gate.
    const problems = await volumeProblems(db, config);
    if (problems.length) {
      throw new PipelineError("VOLUME_GUARD", problems.join("; "), {
        hint: PURGE_HINT,
      });
    }
  }
  const range = plausibleRange(config, options.businessDate);
  const tables = await db.transaction(async (tx) => {
    const [{ at }] = await tx.query<{ at: string }>(
      `SELECT coalesce(max(loaded_at), now())::text AS at FROM (
         SELECT loaded_at FROM staging.customers UNION ALL SELECT loaded_at FROM staging.products
         UNION ALL SELECT loaded_at FROM staging.transactions
         UNION ALL SELECT loaded_at FROM staging.transaction_items) x`,
    );
    await tx.exec(
      `SET LOCAL ecom.run_id = ${literal(runId)};
       SET LOCAL ecom.staging_loaded_at = ${literal(at)};
       SET LOCAL ecom.full_refresh = ${
        literal(options.incremental ? "off" : "on")
      };
       SET LOCAL ecom.business_date = ${literal(options.businessDate ?? "")};
       SET LOCAL ecom.earliest_date = ${literal(range.earliest)};
       SET LOCAL ecom.latest_date = ${literal(range.latest)};`,
    );
    // Usually built by the quality stage for this staging load already.
    await ensureTypedStaging(tx);
    // After the typed build: on Citus, its schema commands must come before
    // any query over the shards.
    const [{ items }] = await tx.query<{ items: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM production.transaction_items) AS items",
    );
    const results = await runNamed(
      tx,
      withItemsLoaded(items),
      logger,
      "transform",
    ) as Record<
      string,
      Record<string, unknown>[]
    >;
    await faultPoint("transform");
    return summarize(results);
  });

  await writeReport(config, "transformation_summary.json", {
    run_id: runId,
    transform_timestamp: new Date().toISOString(),
    backend: db.kind,
    mode: options.incremental ? "incremental" : "full",
    tables,
    reconciliation:
      "staging rows = production rows + rejected + duplicates collapsed, for every table",
  });
  const out = TABLES.reduce((a, t) => a + tables[t].output, 0);
  const rejected = TABLES.reduce((a, t) => a + tables[t].rejected, 0);
  const collapsed = TABLES.reduce(
    (a, t) => a + tables[t].duplicates_collapsed,
    0,
  );
  const corrected = TABLES.reduce(
    (a, t) =>
      a + Object.values(tables[t].corrected_values).reduce((x, y) => x + y, 0),
    0,
  );
  const summary = `${n(out)} rows in production (${
    TABLES.map((t) => `${t} ${n(tables[t].output)}`).join(", ")
  }), ${n(rejected)} rejected, ${n(collapsed)} duplicates collapsed, ${
    n(corrected)
  } amounts corrected in ${secondsSince(start)} s`;
  logger.info("{summary}", { summary });
  return { rows: out, summary, tables };
}

/**
 * The statements with moved_items's guard (`ecom.items_loaded`, see
 * sql/production/transaction_items.sql) written in as a literal: Citus
 * plans that CTE only when the guard is a constant.
 */
function withItemsLoaded(items: boolean): Statements {
  const out = new Statements(STATEMENTS.file);
  for (const [name, sql] of STATEMENTS) {
    out.set(
      name,
      sql.replace("current_setting('ecom.items_loaded') = 'on'", `${items}`),
    );
  }
  return out;
}

function summarize(
  results: Record<string, Record<string, unknown>[]>,
): Record<string, TableSummary> {
  const tables: Record<string, TableSummary> = {};
  for (const t of TABLES) {
    tables[t] = {
      input: 0,
      output: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      duplicates_collapsed: 0,
      corrected_values: {},
      nulled_values: {},
      rejected_by_reason: {},
    };
  }
  const byStatus: Record<string, Record<string, number>> = {};
  for (
    const r of results.counts as {
      table_name: string;
      status: string;
      rows: number;
      corrected: number;
    }[]
  ) {
    (byStatus[r.table_name] ??= {})[r.status] = r.rows;
    tables[r.table_name].input += r.rows;
    if (r.status === "accepted" && r.corrected) {
      tables[r.table_name].corrected_values[
        r.table_name === "transactions" ? "total_amount" : "line_total"
      ] = r.corrected;
    }
  }
  const upserts: Record<string, string> = {
    customers: "upsert_customers",
    products: "upsert_products",
    transactions: "upsert_transactions",
    transaction_items: "upsert_items",
  };
  for (
    const r of results.reconcile as {
      table_name: string;
      in_production: number;
      rejected: number;
    }[]
  ) {
    const t = tables[r.table_name];
    const s = byStatus[r.table_name] ?? {};
    const accepted = s.accepted ?? 0;
    t.output = r.in_production;
    t.rejected = r.rejected;
    t.duplicates_collapsed = s.collapsed ?? 0;
    const [up] = results[upserts[r.table_name]] as {
      inserted: number;
      updated: number;
    }[];
    t.inserted = up.inserted;
    t.updated = up.updated;
    t.unchanged = accepted - up.inserted - up.updated;
    // Nothing is lost: every staging row is accounted for exactly once.
    if (
      t.input !== t.output + t.rejected + t.duplicates_collapsed ||
      r.in_production !== accepted
    ) {
      throw new PipelineError(
        "RECONCILIATION",
        `table ${r.table_name}: staging has ${t.input} rows but production received ${t.output} ` +
          `(of ${accepted} accepted), ${t.rejected} were rejected and ${t.duplicates_collapsed} ` +
          `collapsed; nothing was committed`,
      );
    }
  }
  for (const name of ["deactivate_customers", "deactivate_products"]) {
    const [d] = results[name] as { deactivated: number }[];
    if (d.deactivated) {
      tables[name.replace("deactivate_", "")].deactivated = d.deactivated;
    }
  }
  type ByReason = { table_name: string; reason: string; rows: number }[];
  for (const r of results.nulled_values as ByReason) {
    tables[r.table_name].nulled_values[r.reason] = r.rows;
  }
  for (const r of results.reject_reasons as ByReason) {
    tables[r.table_name].rejected_by_reason[r.reason] = r.rows;
  }
  return tables;
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    await runTransform(ctx.config, await ctx.db(), {
      incremental: ctx.values.incremental as boolean | undefined,
    });
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
