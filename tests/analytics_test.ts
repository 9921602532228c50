/**
 * Analytics exports: totals reconcile with production, the top-products
 * export matches a computation from the raw CSV files done here, and the
 * summary describes the files.
 */
import assert from "node:assert/strict";
import { runTransform } from "../stages/transform.ts";
import { runWarehouse } from "../stages/warehouse.ts";
import { QUERIES, runAnalytics } from "../stages/analytics.ts";
import { dbTest, loadGenerated, readCsv, readCsvObjects } from "./helpers.ts";

const cents = (s: string | number) => Math.round(Number(s) * 100);

dbTest(
  "exports reconcile with production and with the raw files",
  async ({ config, db }) => {
    const raw = await loadGenerated(config, db, 0, 0.2);
    await runTransform(config, db);
    await runWarehouse(config, db, { asOf: "2026-01-01" });
    const result = await runAnalytics(config, db);
    const dir = `${config.dataDir}/processed/analytics`;

    // Independent figures from the raw CSV (clean data: every row reaches production).
    const items = await readCsvObjects(`${raw}/transaction_items.csv`);
    const products = new Map(
      (await readCsvObjects(`${raw}/products.csv`)).map((
        p,
      ) => [p.product_id, p]),
    );
    const byProduct = new Map<string, { revenue: number; units: number }>();
    let total = 0;
    for (const it of items) {
      const p = byProduct.get(it.product_id) ?? { revenue: 0, units: 0 };
      p.revenue += cents(it.line_total);
      p.units += Number(it.quantity);
      byProduct.set(it.product_id, p);
      total += cents(it.line_total);
    }
    const top = [...byProduct.entries()].sort((a, b) =>
      b[1].revenue - a[1].revenue || (a[0] < b[0] ? -1 : 1)
    )
      .slice(0, 10);
    const exported = await readCsvObjects(`${dir}/top_products_by_revenue.csv`);
    assert.deepEqual(
      exported.map((
        r,
      ) => [
        r.product_id,
        cents(r.revenue),
        Number(r.units_sold),
        r.product_name,
      ]),
      top.map((
        [id, p],
      ) => [id, p.revenue, p.units, products.get(id)!.product_name]),
    );

    const monthly = await readCsvObjects(`${dir}/monthly_sales_trend.csv`);
    assert.equal(
      monthly.reduce((a, m) => a + cents(m.revenue), 0),
      total,
      "monthly trend = raw revenue",
    );
    const [prod] = await db.query<{ revenue: string }>(
      `SELECT sum(line_total)::text AS revenue FROM production.transaction_items`,
    );
    assert.equal(cents(prod.revenue), total);
    const [agg] = await db.query<{ revenue: string }>(
      `SELECT sum(total_revenue)::text AS revenue FROM warehouse.agg_daily_sales`,
    );
    assert.equal(cents(agg.revenue), total);

    const segments = await readCsvObjects(
      `${dir}/customer_spend_segmentation.csv`,
    );
    assert.equal(segments.length, 4, "no spend band is empty");
    assert.ok(segments.every((s) => Number(s.customers) > 0));
    const categories = await readCsvObjects(`${dir}/category_performance.csv`);
    for (const c of categories) {
      assert.equal(
        Number(c.margin_pct),
        Math.round(10000 * Number(c.profit) / Number(c.revenue)) / 100,
      );
    }
    assert.equal(categories.reduce((a, c) => a + cents(c.revenue), 0), total);
    const weekdays = await readCsvObjects(`${dir}/day_of_week_pattern.csv`);
    assert.deepEqual(weekdays.map((w) => w.day_name), [
      "Monday",
      "Tuesday",
      "Wednesday",
      "Thursday",
      "Friday",
      "Saturday",
      "Sunday",
    ]);

    const summary = JSON.parse(
      await Deno.readTextFile(`${dir}/analytics_summary.json`),
    );
    assert.equal(summary.queries_executed, Object.keys(QUERIES).length);
    // The contract's ten are among them (more may be added).
    for (
      const name of [
        "top_products_by_revenue",
        "monthly_sales_trend",
        "customer_spend_segmentation",
        "category_performance",
        "payment_method_distribution",
        "geographic_analysis",
        "customer_lifetime_value",
        "product_profitability",
        "day_of_week_pattern",
        "discount_impact",
      ]
    ) assert.ok(QUERIES[name], name);
    assert.deepEqual(
      Object.keys(summary.query_results).sort(),
      Object.keys(QUERIES).sort(),
    );
    let timed = 0;
    for (
      const [name, q] of Object.entries(summary.query_results) as [
        string,
        { rows: number; columns: string[]; execution_time_ms: number },
      ][]
    ) {
      const [header, ...rows] = await readCsv(`${dir}/${name}.csv`);
      assert.equal(q.rows, rows.length, name);
      assert.deepEqual(q.columns, header, name);
      assert.ok(Number.isInteger(q.execution_time_ms), name);
      assert.ok(rows.length > 0, `${name} is not empty`);
      timed += q.execution_time_ms;
    }
    // The queries' times add up to no more than the stage's total.
    assert.ok(
      timed <= summary.total_execution_time_seconds * 1000 + 1,
      `${timed} ms of queries in ${summary.total_execution_time_seconds} s`,
    );
    assert.equal(result.queries.top_products_by_revenue.rows, 10);
  },
);
