/**
 * Citus (docs/scaling.md): on a local three-node cluster, the tables are
 * laid out by transaction, the big statements run shard by shard (their
 * plans pull no distributed table to the coordinator), and the results are
 * those of single PostgreSQL, row for row.
 *
 * Needs ECOM_TEST_CITUS_URL (the coordinator) and ECOM_TEST_CITUS_CLUSTER
 * (`start-cluster.sh`, which makes each test database on every node); in CI
 * they fail without them, elsewhere they are skipped with a note.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openDb } from "../lib/db.ts";
import { expand, type Statements } from "../lib/sql_named.ts";
import { runTransform, STATEMENTS as TRANSFORM } from "../stages/transform.ts";
import { runWarehouse, STATEMENTS as WAREHOUSE } from "../stages/warehouse.ts";
import {
  CITUS_CLUSTER,
  CITUS_URL,
  createServerDb,
  loadGenerated,
  SERVER_URL,
  tempDir,
  testConfig,
} from "./helpers.ts";
import type { Config } from "../lib/config.ts";

const IN_CI = Deno.env.get("CI") === "true";
const missing = !CITUS_URL || !CITUS_CLUSTER;
if (missing && !IN_CI) {
  console.error(
    "Citus tests skipped: set ECOM_TEST_CITUS_URL=postgres://postgres@127.0.0.1:9700/postgres and ECOM_TEST_CITUS_CLUSTER=<path>/start-cluster.sh (docs/scaling.md)",
  );
}

/** A test with a fresh database on the cluster, loaded with one shop. */
function citusTest(
  name: string,
  fn: (config: Config, url: string) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: missing && !IN_CI,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      if (missing) {
        throw new Error(
          "ECOM_TEST_CITUS_URL / ECOM_TEST_CITUS_CLUSTER are not set: the Citus tests cannot run (CI requires them)",
        );
      }
      const server = await createServerDb(CITUS_URL);
      const dir = await tempDir();
      try {
        const config = testConfig(dir, { databaseUrl: server.url });
        await fn(config, server.url);
      } finally {
        await server.drop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}

/** Loads one generated shop, then transforms it and loads the warehouse. */
async function loadShop(config: Config): Promise<void> {
  const db = await openDb(config);
  try {
    await loadGenerated(config, db, 0.03, 0.1);
    await runTransform(config, db);
    await runWarehouse(config, db, { asOf: "2026-01-01" });
  } finally {
    await db.close();
  }
}

citusTest(
  "on Citus the order tables are hash-distributed by transaction_id and co-located, the rest are reference tables, staging and ops stay local",
  async (config) => {
    await loadShop(config);
    const db = await openDb(config);
    try {
      const rows = await db.query<
        { tbl: string; method: string; column: string | null; group: number }
      >(
        `SELECT logicalrelid::text AS tbl,
           CASE WHEN partmethod = 'h' THEN 'hash' WHEN repmodel = 't' THEN 'reference'
             ELSE 'other' END AS method,
           CASE WHEN partmethod = 'h' THEN column_to_column_name(logicalrelid, partkey) END
             AS column,
           colocationid AS group
         FROM pg_dist_partition
         WHERE logicalrelid::text NOT LIKE 'work.%'`,
      );
      const layout = Object.fromEntries(rows.map((r) => [r.tbl, r]));
      const hashed = [
        "production.transactions",
        "production.transaction_items",
        "production.item_moves",
        "warehouse.fact_sales",
        "warehouse.fact_orders",
      ];
      for (const t of hashed) {
        assert.equal(layout[t]?.method, "hash", t);
        assert.equal(layout[t].column, "transaction_id", t);
        assert.equal(layout[t].group, layout["production.transactions"].group);
      }
      for (
        const t of [
          "production.customers",
          "production.products",
          "warehouse.dim_date",
          "warehouse.dim_customers",
          "warehouse.dim_products",
          "warehouse.dim_payment_method",
          "warehouse.agg_daily_sales",
        ]
      ) {
        assert.equal(layout[t]?.method, "reference", t);
      }
      for (const t of ["staging.transaction_items", "ops.pipeline_runs"]) {
        assert.equal(layout[t], undefined, `${t} is local`);
      }
      // The shards are spread over both workers, not kept on the coordinator.
      const [{ nodes }] = await db.query<{ nodes: number }>(
        `SELECT count(DISTINCT nodeport)::int AS nodes FROM citus_shards
         WHERE table_name = 'warehouse.fact_sales'::regclass`,
      );
      assert.equal(nodes, 2);
      // The scratch tables that feed the facts follow the same layout.
      const [{ scratch }] = await db.query<{ scratch: string }>(
        `SELECT string_agg(logicalrelid::text, ',' ORDER BY logicalrelid::text COLLATE "C")
           AS scratch
         FROM pg_dist_partition
         WHERE logicalrelid::text IN ('work.items', 'work.v_items', 'work.v_transactions',
           'work.new_facts') AND partmethod = 'h'`,
      );
      assert.equal(
        scratch,
        "work.items,work.new_facts,work.v_items,work.v_transactions",
      );
    } finally {
      await db.close();
    }
  },
);

/** The statements whose plans must stay on the shards. */
const DISTRIBUTED: [Statements, string][] = [
  [TRANSFORM, "validate_transactions"],
  [TRANSFORM, "validate_items"],
  [TRANSFORM, "compute_totals"],
  [TRANSFORM, "upsert_transactions"],
  [TRANSFORM, "update_transactions"],
  [TRANSFORM, "insert_transactions"],
  [TRANSFORM, "delete_moved_items"],
  [TRANSFORM, "upsert_items"],
  [TRANSFORM, "update_items"],
  [TRANSFORM, "insert_items"],
  [WAREHOUSE, "stale_facts"],
  [WAREHOUSE, "drop_stale_facts"],
  [WAREHOUSE, "insert_new_facts"],
  [WAREHOUSE, "missing_facts"],
  [WAREHOUSE, "insert_facts"],
  [WAREHOUSE, "new_facts"],
  [WAREHOUSE, "dropped_facts"],
  [WAREHOUSE, "unmatched_items"],
  [WAREHOUSE, "clear_fact_orders"],
  [WAREHOUSE, "fact_orders"],
  [WAREHOUSE, "all_fact_orders"],
];

/**
 * Why a Citus plan moves rows of a distributed table through the
 * coordinator, or null: an INSERT ... SELECT that is not pushed down, a
 * repartition, or an intermediate result (Distributed Subplan) computed
 * from a distributed table. Subplans of constants or local tables pull
 * nothing from the shards.
 */
export function pulls(plan: string): string | null {
  const method = plan.match(/INSERT\/SELECT method: (.+)/);
  if (method) return `INSERT ... SELECT by ${method[1]}`;
  if (/repartition|MapMergeJob/i.test(plan)) return "a repartition";
  const lines = plan.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/Distributed Subplan/.test(lines[i])) continue;
    const depth = lines[i].search(/\S/);
    for (let j = i + 1; j < lines.length; j++) {
      if (lines[j].search(/\S/) <= depth) break;
      if (/Custom Scan \(Citus/.test(lines[j])) {
        return `an intermediate result of a distributed table (${
          lines[i].trim()
        })`;
      }
    }
  }
  return null;
}

citusTest(
  "the fact load and the big transform statements run shard by shard on Citus: EXPLAIN shows no distributed table pulled to the coordinator",
  async (config) => {
    await loadShop(config);
    const db = await openDb(config);
    const failures: string[] = [];
    try {
      for (const [statements, name] of DISTRIBUTED) {
        // A scratch table's statement is explained as the INSERT ... SELECT
        // that fills it (its table exists from the run above).
        const steps = expand(statements.sql(name));
        const sql = steps.find((s) => s.startsWith("INSERT INTO")) ??
          steps[0];
        const plan = await db.transaction(async (tx) => {
          await tx.exec(
            `SET LOCAL ecom.run_id = 'explain';
             SET LOCAL ecom.loaded_at = '2026-01-01T00:00:00Z';
             SET LOCAL ecom.facts_since = '2025-12-31T00:00:00Z';
             SET LOCAL ecom.as_of = '2026-01-01';
             SET LOCAL ecom.latest_date = '2026-01-02';
             SET LOCAL ecom.earliest_date = '2000-01-01';`,
          );
          // The fact loads read a temporary view made earlier in the load.
          if (/\bfact_lines\b/.test(sql)) {
            await tx.exec(WAREHOUSE.sql("fact_lines"));
          }
          const rows = await tx.query<{ "QUERY PLAN": string }>(
            `EXPLAIN ${sql}`,
          );
          return rows.map((r) => r["QUERY PLAN"]).join("\n");
        });
        const pulled = pulls(plan);
        // Distributed at all: a Citus scan over the shards of both workers.
        const tasks = Number(plan.match(/Task Count: (\d+)/)?.[1] ?? 0);
        if (pulled) failures.push(`${name} pulls ${pulled}:\n${plan}`);
        else if (tasks <= 1) {
          failures.push(`${name} is not distributed:\n${plan}`);
        }
      }
    } finally {
      await db.close();
    }
    assert.deepEqual(failures, []);
  },
);

/** Every production and warehouse table, row for row, keys and stamps aside. */
async function contents(url: string): Promise<Record<string, string>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const tables: Record<string, string> = {
      "production.customers":
        "customer_id, first_name, last_name, email, phone, registration_date, city, state, country, age_group, is_active",
      "production.products":
        "product_id, product_name, category, price, cost, stock_quantity, is_active",
      "production.transactions":
        "transaction_id, customer_id, transaction_date, transaction_time, payment_method, total_amount, stated_total_amount",
      "production.transaction_items":
        "item_id, transaction_id, product_id, quantity, unit_price, discount_percentage, line_total",
      "production.rejected_records":
        "table_name, record_id, source_row, reasons, raw",
      "warehouse.dim_customers":
        "customer_id, customer_segment, effective_date, end_date, is_current",
      "warehouse.dim_products":
        "product_id, price_range, effective_date, end_date, is_current",
      "warehouse.fact_sales":
        "item_id, transaction_id, date_key, quantity, line_total, profit",
      "warehouse.fact_orders":
        "transaction_id, date_key, line_items, units, revenue, profit",
      "warehouse.agg_daily_sales":
        "date_key, total_transactions, total_revenue, total_profit, unique_customers",
      "warehouse.agg_customer_metrics":
        "customer_id, total_transactions, total_spent, first_purchase_date",
      "warehouse.agg_product_performance":
        "product_id, total_quantity_sold, total_revenue, total_profit",
    };
    const out: Record<string, string> = {};
    for (const [t, cols] of Object.entries(tables)) {
      const [{ n, md5 }] = await sql.unsafe(
        `SELECT count(*)::int AS n,
           md5(string_agg(r::text, '|' ORDER BY r::text COLLATE "C")) AS md5
         FROM (SELECT ${cols} FROM ${t}) r`,
      );
      out[t] = `${n} rows, ${md5}`;
    }
    return out;
  } finally {
    await sql.end();
  }
}

citusTest(
  "Citus and single PostgreSQL give identical production and warehouse tables from the same files, and a re-run on Citus changes nothing",
  async (config, citusUrl) => {
    if (!SERVER_URL) throw new Error("ECOM_TEST_DATABASE_URL is not set");
    await loadShop(config);
    const onCitus = await contents(citusUrl);
    const plain = await createServerDb(plainServer());
    const dir = await tempDir();
    try {
      const single = testConfig(dir, { databaseUrl: plain.url });
      await loadShop(single);
      assert.deepEqual(await contents(plain.url), onCitus);
      assert.match(onCitus["warehouse.fact_sales"], /^[1-9]\d* rows/);
    } finally {
      await plain.drop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
    // Again on the same files: nothing changes.
    const db = await openDb(config);
    try {
      await runTransform(config, db);
      await runWarehouse(config, db, { asOf: "2026-01-01" });
    } finally {
      await db.close();
    }
    assert.deepEqual(await contents(citusUrl), onCitus);
  },
);

/** A plain PostgreSQL server for the comparison (the suite's, or the default local one). */
function plainServer(): string {
  return SERVER_URL && SERVER_URL !== CITUS_URL
    ? SERVER_URL
    : Deno.env.get("ECOM_TEST_PLAIN_URL") ??
      "postgres://root@127.0.0.1:5432/test";
}

Deno.test("pulls() names what moves rows through the coordinator, and only that", () => {
  const pushed = [
    "Custom Scan (Citus Adaptive)  (cost=0.00..0.00 rows=0 width=0)",
    "  Task Count: 32",
    "  ->  Task",
    "        ->  Insert on fact_sales_102100 citus_table_alias",
  ].join("\n");
  assert.equal(pulls(pushed), null);
  const constant = [
    "Custom Scan (Citus Adaptive)",
    "  ->  Distributed Subplan 3_1",
    "        ->  Result  (cost=0.00..0.02 rows=1 width=4)",
    "  Task Count: 32",
  ].join("\n");
  assert.equal(pulls(constant), null);
  const pulled = [
    "Custom Scan (Citus Adaptive)",
    "  ->  Distributed Subplan 5_1",
    "        ->  Custom Scan (Citus Adaptive)",
    "              Task Count: 32",
    "  Task Count: 32",
  ].join("\n");
  assert.match(pulls(pulled)!, /intermediate result of a distributed table/);
  assert.equal(
    pulls(
      "Custom Scan (Citus INSERT ... SELECT)\n  INSERT/SELECT method: pull to coordinator",
    ),
    "INSERT ... SELECT by pull to coordinator",
  );
  assert.equal(pulls("  ->  MapMergeJob\n"), "a repartition");
});
