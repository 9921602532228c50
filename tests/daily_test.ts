/**
 * Daily operation: day-by-day runs over 30 days give exactly the warehouse
 * (and production) that one rebuild replaying those days gives; re-running
 * a day in between, or the last one, changes nothing.
 */
import assert from "node:assert/strict";
import type { Db } from "../lib/db.ts";
import { daysBetween, processedDays, runDays } from "../tasks/backfill.ts";
import { CORE_STEPS, dbTest, readCsv } from "./helpers.ts";
import { generateDay } from "../lib/synth/daily.ts";
import { tempDir, testConfig } from "./helpers.ts";
import { CONTRACT_COLUMNS } from "../lib/contract.ts";
import { runWarehouse } from "../stages/warehouse.ts";
import { exitCode, runMonitor } from "../stages/monitor.ts";
import { csvLine } from "../lib/synth/csv_writer.ts";

/** Everything a report could read, keyed by natural keys (surrogate keys and load times excluded). */
const SNAPSHOT: Record<string, string> = {
  dim_customers:
    `SELECT to_jsonb(d) - ARRAY['customer_key', 'created_at', 'updated_at'] AS r
    FROM warehouse.dim_customers d ORDER BY customer_id, effective_date`,
  dim_products:
    `SELECT to_jsonb(d) - ARRAY['product_key', 'created_at', 'updated_at'] AS r
    FROM warehouse.dim_products d ORDER BY product_id, effective_date`,
  dim_payment_method: `SELECT payment_method_name, payment_type
    FROM warehouse.dim_payment_method ORDER BY 1`,
  dim_date:
    `SELECT count(*)::int AS days, min(date_key) AS lo, max(date_key) AS hi,
    count(*) FILTER (WHERE is_holiday)::int AS holidays FROM warehouse.dim_date`,
  fact_sales: `SELECT f.item_id, f.date_key, f.transaction_id, c.customer_id,
      c.effective_date AS customer_version, p.product_id, p.effective_date AS product_version,
      m.payment_method_name, f.quantity, f.unit_price, f.discount_amount, f.line_total, f.profit
    FROM warehouse.fact_sales f
    JOIN warehouse.dim_customers c USING (customer_key)
    JOIN warehouse.dim_products p USING (product_key)
    JOIN warehouse.dim_payment_method m USING (payment_method_key)
    ORDER BY f.item_id`,
  fact_totals:
    `SELECT count(*)::int AS n, sum(line_total) AS revenue, sum(profit) AS profit,
    sum(quantity)::int AS units FROM warehouse.fact_sales`,
  agg_daily_sales:
    `SELECT to_jsonb(a) AS r FROM warehouse.agg_daily_sales a ORDER BY date_key`,
  // Keyed by the customer's current version: the key is shown as that
  // version's start and whether it is still current.
  agg_customer_metrics:
    `SELECT to_jsonb(a) - 'customer_key' AS r, d.effective_date AS version,
      d.is_current FROM warehouse.agg_customer_metrics a
    JOIN warehouse.dim_customers d USING (customer_key) ORDER BY a.customer_id`,
  agg_product_performance:
    `SELECT to_jsonb(a) - 'product_key' AS r, d.effective_date AS version,
      d.is_current FROM warehouse.agg_product_performance a
    JOIN warehouse.dim_products d USING (product_key) ORDER BY a.product_id`,
  production_customers:
    `SELECT to_jsonb(c) - ARRAY['created_at', 'updated_at'] AS r
    FROM production.customers c ORDER BY customer_id`,
  production_products:
    `SELECT to_jsonb(p) - ARRAY['created_at', 'updated_at'] AS r
    FROM production.products p ORDER BY product_id`,
  rejected: `SELECT table_name, record_id, source_row, reasons, business_date
    FROM production.rejected_records ORDER BY business_date NULLS FIRST, table_name, source_row`,
};

async function snapshot(db: Db): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(SNAPSHOT)) {
    out[name] = await db.query(sql);
  }
  return out;
}

function assertSame(
  actual: Record<string, unknown[]>,
  expected: Record<string, unknown[]>,
  what: string,
) {
  for (const name of Object.keys(SNAPSHOT)) {
    assert.deepEqual(actual[name], expected[name], `${what}: ${name}`);
  }
}

const WITHOUT_ANALYTICS = CORE_STEPS;
const FIRST = "2026-01-01";
const LAST = "2026-01-30";

dbTest(
  "30 days run one by one equal one rebuild of them; re-running a day changes nothing",
  async ({ config, open }) => {
    const days = daysBetween(FIRST, LAST);
    assert.equal(days.length, 30);
    for (const date of days) {
      const r = await runDays(config, { date, steps: WITHOUT_ANALYTICS });
      assert.equal(
        r.status,
        "success",
        `${date}: ${JSON.stringify(r.reports.at(-1)?.errors)}`,
      );
    }
    let db = await open();
    const daily = await snapshot(db);
    assert.deepEqual(await processedDays(db), days);
    await db.close();

    // Independent expectations from the day files themselves.
    let items = 0;
    let customerChanges = 0;
    for (const date of days) {
      items +=
        (await readCsv(`${config.dataDir}/raw/${date}/transaction_items.csv`))
          .length - 1;
      customerChanges +=
        (await readCsv(`${config.dataDir}/raw/${date}/customers.csv`))
          .length - 1;
    }
    const baseItems = (daily.fact_sales as { item_id: string }[])
      .filter((f) => !f.item_id.startsWith("ITEM2026")).length;
    const rejectedDailyItems =
      (daily.rejected as { table_name: string; business_date: string | null }[])
        .filter((r) => r.table_name === "transaction_items" && r.business_date)
        .length;
    assert.equal(
      (daily.fact_sales as unknown[]).length - baseItems,
      items - rejectedDailyItems,
      "every daily item is a fact or a reject",
    );
    const versions =
      (daily.dim_customers as { r: { customer_id: string } }[]).length;
    const ids = new Set(
      (daily.dim_customers as { r: { customer_id: string } }[]).map((d) =>
        d.r.customer_id
      ),
    ).size;
    assert.ok(
      customerChanges > 0 && versions > ids,
      "changes made SCD2 versions",
    );

    // A calibrated monitor: 30 ordinary days, each run at 02:30 the next
    // morning, are healthy the morning after the last (the January fall
    // after the December peak, the weekdays and the small shop's scatter
    // are no anomaly).
    db = await open();
    await db.exec(`
      UPDATE ops.pipeline_runs SET
        started_at = coalesce(business_date, DATE '2025-12-31') + 1 + TIME '02:30:05',
        ended_at = coalesce(business_date, DATE '2025-12-31') + 1 + TIME '02:31:00';
      UPDATE ops.dq_runs SET checked_at = TIMESTAMPTZ '2026-01-31 02:30:30';
      UPDATE staging.transactions SET loaded_at = '2026-01-31T02:30:10Z';
      UPDATE production.transactions SET updated_at = '2026-01-31T02:30:20Z',
        created_at = least(created_at, '2026-01-31T02:30:20Z');
      UPDATE warehouse.fact_sales SET created_at = '2026-01-31T02:30:30Z';`);
    const health = await runMonitor(config, {
      db,
      now: new Date("2026-01-31T09:00:00Z"),
    });
    await db.close();
    assert.equal(
      health.checks.data_volume_anomalies.status,
      "ok",
      health.checks.data_volume_anomalies.message as string,
    );
    assert.equal(
      health.pipeline_health,
      "healthy",
      JSON.stringify(health.alerts),
    );
    assert.equal(exitCode(health), 0);

    // Re-running a day in the middle, and the last day, changes nothing.
    for (const date of [days[9], LAST]) {
      const r = await runDays(config, { date, steps: WITHOUT_ANALYTICS });
      assert.equal(r.status, "success");
      db = await open();
      assertSame(await snapshot(db), daily, `after re-running ${date}`);
      await db.close();
    }

    // The aggregates each day updated incrementally equal a recomputation
    // of every fact and aggregate from scratch.
    db = await open();
    await runWarehouse(config, db, { rebuild: true, asOf: LAST });
    assertSame(
      await snapshot(db),
      daily,
      "incremental aggregates vs a full rebuild",
    );
    await db.close();

    // One rebuild: empty, reload the base history, replay the 30 days.
    const rebuilt = await runDays(config, {
      rebuild: true,
      toDate: LAST,
      steps: WITHOUT_ANALYTICS,
    });
    assert.equal(rebuilt.status, "success");
    assert.deepEqual(rebuilt.days, days);
    assert.equal(rebuilt.reports.length, 31, "base load + 30 days");
    db = await open();
    assertSame(await snapshot(db), daily, "rebuild vs day by day");
    await db.close();
  },
  { noDb: true, configOverrides: { generate: { scale: 0.2 } } },
);

Deno.test("a day's increment is deterministic and carries that day's state", async () => {
  const dir = await tempDir();
  try {
    const config = testConfig(dir);
    const g = { ...config.generate, scale: 0.5 };
    await generateDay({ ...g, date: "2026-02-10", outDir: `${dir}/a` });
    await generateDay({ ...g, date: "2026-02-10", outDir: `${dir}/b` });
    for (
      const f of ["customers", "products", "transactions", "transaction_items"]
    ) {
      assert.equal(
        await Deno.readTextFile(`${dir}/a/${f}.csv`),
        await Deno.readTextFile(`${dir}/b/${f}.csv`),
        f,
      );
    }
    const tx = await readCsv(`${dir}/a/transactions.csv`);
    assert.ok(tx.length > 1);
    assert.ok(
      tx.slice(1).every((r) => r[2] === "2026-02-10"),
      "all orders on the day",
    );
    // A product's price in a later day's items is the price that day's
    // products file (or the latest change before it) says.
    const items = await readCsv(`${dir}/a/transaction_items.csv`);
    const products = await readCsv(`${dir}/a/products.csv`);
    for (const p of products.slice(1)) {
      for (const i of items.slice(1).filter((i) => i[2] === p[0])) {
        assert.equal(i[4], p[4], `${i[0]} sells ${p[0]} at the new price`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Writes one day's four CSV files under `root/date/`. */
async function writeDay(
  root: string,
  date: string,
  rows: Record<string, string[][]>,
) {
  await Deno.mkdir(`${root}/${date}`, { recursive: true });
  for (const [table, columns] of Object.entries(CONTRACT_COLUMNS)) {
    await Deno.writeTextFile(
      `${root}/${date}/${table}.csv`,
      [columns, ...(rows[table] ?? [])].map(csvLine).join(""),
    );
  }
}

dbTest(
  "re-running an older day after a later change keeps the later version",
  async ({ config, dir, open }) => {
    const input = `${dir}/in`;
    const customer = (city: string, state: string) => [
      "C1",
      "Ann",
      "Lee",
      "ann@example.com",
      "",
      "2025-05-01",
      city,
      state,
      "USA",
      "26-35",
    ];
    const product = (price: string) => [
      "P1",
      "Lamp",
      "Home & Garden",
      "Lighting",
      price,
      "5.00",
      "B",
      "10",
      "S1",
    ];
    await writeDay(input, "2026-03-01", {
      customers: [customer("Boston", "Massachusetts")],
      products: [product("10.00")],
      transactions: [[
        "T1",
        "C1",
        "2026-03-01",
        "10:00:00",
        "Credit Card",
        "x",
        "10.00",
      ]],
      transaction_items: [["I1", "T1", "P1", "1", "10.00", "0", "10.00"]],
    });
    await writeDay(input, "2026-03-02", {
      customers: [customer("Denver", "Colorado")],
      products: [product("12.00")],
      transactions: [[
        "T2",
        "C1",
        "2026-03-02",
        "11:00:00",
        "Credit Card",
        "y",
        "24.00",
      ]],
      transaction_items: [["I2", "T2", "P1", "2", "12.00", "0", "24.00"]],
    });
    const run = async (opts: Parameters<typeof runDays>[1]) => {
      const r = await runDays(config, {
        inputDir: input,
        steps: WITHOUT_ANALYTICS,
        ...opts,
      });
      assert.equal(
        r.status,
        "success",
        JSON.stringify(r.reports.at(-1)?.errors),
      );
    };
    await run({ fromDate: "2026-03-01", toDate: "2026-03-02" });
    const expected = {
      customers: [
        ["Boston", "1900-01-01", "2026-03-01", false],
        ["Denver", "2026-03-02", "9999-12-31", true],
      ],
      products: [
        [10, "1900-01-01", "2026-03-01", false],
        [12, "2026-03-02", "9999-12-31", true],
      ],
      facts: [["I1", "Boston", 10, 10], ["I2", "Denver", 12, 24]],
      production: [["Denver", 12]],
    };
    const read = async () => {
      const db = await open();
      try {
        return {
          customers: (await db.query(
            `SELECT city, effective_date, end_date, is_current FROM warehouse.dim_customers
             ORDER BY effective_date`,
          )).map(Object.values),
          products: (await db.query(
            `SELECT p.price, d.effective_date, d.end_date, d.is_current
             FROM warehouse.dim_products d
             LEFT JOIN (SELECT product_key, max(unit_price) AS price FROM warehouse.fact_sales
               GROUP BY 1) p USING (product_key)
             ORDER BY d.effective_date`,
          )).map(Object.values),
          facts: (await db.query(
            `SELECT f.item_id, c.city, f.unit_price AS price, f.line_total
             FROM warehouse.fact_sales f
             JOIN warehouse.dim_customers c USING (customer_key) ORDER BY item_id`,
          )).map(Object.values),
          production: (await db.query(
            `SELECT c.city, p.price FROM production.customers c, production.products p`,
          )).map(Object.values),
        };
      } finally {
        await db.close();
      }
    };
    assert.deepEqual(await read(), expected);
    await run({ date: "2026-03-01" });
    assert.deepEqual(
      await read(),
      expected,
      "re-run of 2026-03-01 changed nothing",
    );
  },
  { noDb: true },
);
