#!/usr/bin/env -S deno run --allow-read=data,logs,node_modules --allow-write=data,logs --allow-env --allow-net
/**
 * Stage 5: production -> the star schema. Dates, payment methods, SCD Type 2
 * customers and products, point-in-time facts (incremental by line item),
 * and the three aggregates, all committed together.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import { type Db, ident, literal } from "../lib/db.ts";
import { PipelineError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { namedStatements, runNamed } from "../lib/sql_named.ts";
import { n, secondsSince, type StageResult } from "../lib/stage.ts";
import dimDateSql from "../sql/warehouse/dim_date.sql" with { type: "text" };
import dimPaymentSql from "../sql/warehouse/dim_payment_method.sql" with {
  type: "text",
};
import dimCustomersSql from "../sql/warehouse/dim_customers.sql" with {
  type: "text",
};
import dimProductsSql from "../sql/warehouse/dim_products.sql" with {
  type: "text",
};
import factSalesSql from "../sql/warehouse/fact_sales.sql" with {
  type: "text",
};
import factOrdersSql from "../sql/warehouse/fact_orders.sql" with {
  type: "text",
};
import aggregatesSql from "../sql/warehouse/aggregates.sql" with {
  type: "text",
};
import invariantsSql from "../sql/warehouse/invariants.sql" with {
  type: "text",
};
import { ensureSchema } from "../lib/schema.ts";
import { faultPoint } from "../lib/fault.ts";
import { CITUS_TRANSACTION } from "../lib/sql_named.ts";

/** One file per model, in the order they run (each says what it reads and writes). */
export const FILES: [string, string][] = [
  ["sql/warehouse/dim_date.sql", dimDateSql],
  ["sql/warehouse/dim_payment_method.sql", dimPaymentSql],
  ["sql/warehouse/dim_customers.sql", dimCustomersSql],
  ["sql/warehouse/dim_products.sql", dimProductsSql],
  ["sql/warehouse/fact_sales.sql", factSalesSql],
  ["sql/warehouse/fact_orders.sql", factOrdersSql],
  ["sql/warehouse/aggregates.sql", aggregatesSql],
  ["sql/warehouse/invariants.sql", invariantsSql],
];
export const STATEMENTS = namedStatements(FILES);

export const command: Command = {
  writes: true,
  name: "warehouse",
  summary:
    "load the star schema: SCD2 dimensions, point-in-time facts, aggregates",
  flags: [
    {
      name: "as-of",
      type: "string",
      arg: "YYYY-MM-DD",
      help: "day a changed customer or product version takes effect",
      defaultText: "today (UTC)",
    },
    {
      name: "rebuild",
      type: "boolean",
      help: "reload every fact and aggregate (dimension history is kept)",
    },
  ],
};

/** Figures of one warehouse run. */
export interface WarehouseResult extends StageResult {
  facts: number;
  factsInserted: number;
  /** Line items older than the fact watermark that had no fact (a full pass loaded them). */
  missedByWatermark: number;
  customers: { new_ids: number; new_versions: number; closed: number };
  products: { new_ids: number; new_versions: number; closed: number };
}

/**
 * On a PostgreSQL server, creates (or updates) the read-only reporting role:
 * it may connect and read the `bi` views, nothing else. The embedded
 * database has no roles; there `db:serve` gives read access instead.
 */
export async function setupBiRole(config: Config, db: Db): Promise<string> {
  if (db.kind !== "server") {
    return "embedded database: no roles (use deno task db:serve to read it)";
  }
  const name = config.bi.readerRole;
  const role = ident(name);
  const password = config.bi.readerPassword;
  const [me] = await db.query<{ manage: boolean; exists: boolean }>(
    `SELECT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user)
       AS manage, exists(SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists`,
    [name],
  );
  const notes: string[] = [];
  if (me.manage) {
    // Roles are server-wide: an existing role is changed only when the
    // configuration says how (a password), never switched to NOLOGIN, or one
    // database's run would cut off BI for every other database.
    await db.exec(`
      DO $$ BEGIN
        CREATE ROLE ${role} NOLOGIN;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$;`);
    if (password) {
      await db.exec(
        `ALTER ROLE ${role} WITH NOSUPERUSER NOCREATEDB NOCREATEROLE LOGIN PASSWORD ${
          literal(password)
        }`,
      );
    } else if (!me.exists) {
      notes.push(
        "created NOLOGIN: set BI_READER_PASSWORD to let it log in",
      );
    } else {
      notes.push("left as it was: BI_READER_PASSWORD is not set");
    }
  } else if (!me.exists) {
    throw new PipelineError(
      "BI_ROLE",
      `reporting role ${name} does not exist and this database user may not create roles`,
      {
        hint:
          "run sql/admin/roles.sql as an administrator (docs/deployment.md)",
      },
    );
  } else if (password) {
    notes.push(
      "its password is managed by the administrator (sql/admin/roles.sql)",
    );
  }
  // Only the database owner may grant CONNECT; PUBLIC usually has it anyway.
  await db.exec(`
    DO $$ BEGIN
      EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${role}', current_database());
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END $$;
    REVOKE ALL ON SCHEMA staging, production, ops, warehouse, util FROM ${role};
    REVOKE ALL ON ALL TABLES IN SCHEMA staging, production, ops, warehouse FROM ${role};
    REVOKE CREATE ON SCHEMA bi FROM ${role};
    GRANT USAGE ON SCHEMA bi TO ${role};
    GRANT SELECT ON ALL TABLES IN SCHEMA bi TO ${role};
    -- Citus runs a view's query on the shards as the reader, so there the
    -- reader also reads the warehouse tables behind schema bi (docs/scaling.md).
    DO $$ BEGIN
      IF util.is_distributed('warehouse.fact_sales') THEN
        GRANT USAGE ON SCHEMA warehouse TO ${role};
        GRANT SELECT ON ALL TABLES IN SCHEMA warehouse TO ${role};
      END IF;
    END $$;`);
  return `role ${name} reads schema bi${
    notes.length ? ` (${notes.join("; ")})` : ""
  }`;
}

/**
 * Runs the warehouse load in one transaction.
 *
 * @example
 * ```ts
 * await runWarehouse(config, db, { asOf: "2026-01-05" });
 * ```
 */
export async function runWarehouse(
  config: Config,
  db: Db,
  options: { asOf?: string; rebuild?: boolean } = {},
): Promise<WarehouseResult> {
  const logger = log("warehouse");
  const start = performance.now();
  const asOf = options.asOf ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf))) {
    throw new PipelineError(
      "USAGE",
      `--as-of must be a date YYYY-MM-DD: got "${asOf}"`,
    );
  }
  await ensureSchema(db);
  let r;
  let missedByWatermark = 0;
  try {
    r = await loadOnce(config, db, asOf, options.rebuild, false);
  } catch (err) {
    if (!(err instanceof MissedByWatermark)) throw err;
    missedByWatermark = err.missing;
    // Items created before the watermark without their fact: the watermark
    // cannot be trusted (a clock stepped back, rows restored by hand). The
    // load is rolled back and runs again over every line item.
    logger.warning(
      "{missing} line items older than the fact watermark had no fact: loading again over every line item",
      { missing: err.missing },
    );
    r = await loadOnce(config, db, asOf, options.rebuild, true);
  }
  logger.info("reporting: {bi}", { bi: await setupBiRole(config, db) });
  const [counts] = r.counts;
  const customers = {
    ...r.open_customers[0],
    closed: r.close_changed_customers[0].closed,
  } as WarehouseResult["customers"];
  const products = {
    ...r.open_products[0],
    closed: r.close_changed_products[0].closed,
  } as WarehouseResult["products"];
  const factsInserted = r.inserted_facts[0].inserted;
  const summary = `${n(counts.facts)} facts (${n(factsInserted)} new), ${
    n(counts.customer_versions)
  } customer and ${n(counts.product_versions)} product versions (${
    customers.new_versions + products.new_versions
  } new versions), ${n(counts.days)} days${
    missedByWatermark
      ? ` (${n(missedByWatermark)} older items by a full pass)`
      : ""
  } in ${secondsSince(start)} s`;
  logger.info("{summary}", { summary });
  return {
    rows: counts.facts,
    summary,
    facts: counts.facts,
    factsInserted,
    missedByWatermark,
    customers,
    products,
  };
}

/** One attempt at the load, in one transaction; `full` ignores the watermark. */
function loadOnce(
  config: Config,
  db: Db,
  asOf: string,
  rebuild: boolean | undefined,
  full: boolean,
) {
  const logger = log("warehouse");
  return db.transaction(async (tx) => {
    // loaded_at stamps the facts this run adds (new_facts finds them by
    // it); runs hold the pipeline lock, so no two share a millisecond. SET
    // LOCAL reaches the shard queries of Citus workers too.
    await tx.exec(
      `SET LOCAL ecom.as_of = ${literal(asOf)};
       SET LOCAL ecom.loaded_at = ${literal(new Date().toISOString())};
       ${CITUS_TRANSACTION}`,
    );
    if (rebuild) {
      // util.empty: TRUNCATE, or DELETE on Citus (sql/common/functions.sql).
      await tx.exec(
        `SELECT util.empty('warehouse.fact_orders', 'warehouse.fact_sales',
           'warehouse.agg_daily_sales', 'warehouse.agg_customer_metrics',
           'warehouse.agg_product_performance', 'warehouse.agg_category_daily',
           'warehouse.agg_discount_daily')`,
      );
    }
    // The configured holidays replace the table's rows; refresh_holidays
    // then re-marks existing days.
    await tx.exec("DELETE FROM warehouse.holidays");
    await tx.query(
      `INSERT INTO warehouse.holidays (month, day, name)
       SELECT (h->>'month')::int, (h->>'day')::int, h->>'name'
       FROM jsonb_array_elements($1::text::jsonb) AS h
       ON CONFLICT (month, day) DO UPDATE SET name = EXCLUDED.name`,
      [JSON.stringify(config.warehouse.holidays)],
    );
    // A literal SET, not set_config(): Citus passes SET LOCAL on to the
    // workers (citus.propagate_set_commands), not a function's effect.
    const since = full ? "-infinity" : await factsSince(tx);
    await tx.exec(`SET LOCAL ecom.facts_since = ${literal(since)}`);
    const results = await runNamed(
      tx,
      STATEMENTS,
      logger,
      "warehouse",
    ) as Record<
      string,
      Record<string, number>[]
    >;
    await faultPoint("warehouse");
    const [{ missing, before_watermark }] = results.unmatched_items;
    if (before_watermark) throw new MissedByWatermark(before_watermark);
    if (missing) {
      throw new PipelineError(
        "WAREHOUSE_FACTS",
        `${
          n(missing)
        } production line items found no dimension row; nothing was committed`,
      );
    }
    const [{ overlaps }] = results.overlapping_versions;
    if (overlaps) {
      throw new PipelineError(
        "SCD2_INVARIANT",
        `${overlaps} overlapping dimension versions; nothing was committed`,
      );
    }
    return results;
  });
}

/** The scoped fact load left line items without a fact (fact_sales.sql). */
class MissedByWatermark extends Error {
  constructor(readonly missing: number) {
    super(`${missing} line items missed by the fact watermark`);
  }
}

/**
 * Where the fact load starts (warehouse.fact_watermark): -infinity when the
 * fact table is empty (a first load or --rebuild) or has no watermark yet.
 */
async function factsSince(tx: Db): Promise<string> {
  const [{ since }] = await tx.query<{ since: string }>(
    // ISO 8601 in UTC, microseconds kept: the text reads back the same
    // whatever the session's DateStyle and time zone, here and on workers.
    `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM warehouse.fact_sales) THEN '-infinity'
       ELSE coalesce((SELECT to_char(items_created_until AT TIME ZONE 'UTC',
           'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM warehouse.fact_watermark),
         '-infinity') END AS since`,
  );
  return since;
}

/** CLI entry point. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    await runWarehouse(ctx.config, await ctx.db(), {
      asOf: ctx.values["as-of"] as string | undefined,
      rebuild: ctx.values.rebuild as boolean | undefined,
    });
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
