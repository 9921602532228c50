/**
 * Warehouse: totals reconcile across layers to the cent, SCD Type 2 keeps
 * history with point-in-time facts, and re-runs change nothing.
 */
import assert from "node:assert/strict";
import { runIngest } from "../stages/ingest.ts";
import { runTransform } from "../stages/transform.ts";
import { runWarehouse } from "../stages/warehouse.ts";
import type { Db } from "../lib/db.ts";
import { dbTest, loadGenerated, readCsv } from "./helpers.ts";
import { csvLine } from "../lib/synth/csv_writer.ts";

const toCsv = (rows: string[][]) => rows.map(csvLine).join("");

async function one<T>(db: Db, sql: string, params: unknown[] = []): Promise<T> {
  const [row] = await db.query(sql, params);
  return row as T;
}

dbTest(
  "revenue reconciles from production to facts to aggregates; re-runs add nothing",
  async ({ config, db }) => {
    await loadGenerated(config, db, 0.02, 0.2);
    await runTransform(config, db);
    const first = await runWarehouse(config, db, { asOf: "2026-01-01" });
    const prod = await one<{ revenue: number; items: number }>(
      db,
      `SELECT sum(line_total)::numeric(16,2)::text::numeric AS revenue, count(*)::int AS items FROM production.transaction_items`,
    );
    const facts = await one<{ revenue: number; n: number }>(
      db,
      `SELECT sum(line_total) AS revenue, count(*)::int AS n FROM warehouse.fact_sales`,
    );
    const daily = await one<{ revenue: number; tx: number }>(
      db,
      `SELECT sum(total_revenue) AS revenue, sum(total_transactions)::int AS tx FROM warehouse.agg_daily_sales`,
    );
    assert.equal(facts.n, prod.items);
    assert.equal(first.factsInserted, prod.items);
    assert.equal(
      Math.round(facts.revenue * 100),
      Math.round(prod.revenue * 100),
    );
    assert.equal(
      Math.round(daily.revenue * 100),
      Math.round(prod.revenue * 100),
    );
    const txns = await one<{ n: number }>(
      db,
      `SELECT count(DISTINCT transaction_id)::int AS n FROM production.transaction_items`,
    );
    assert.equal(daily.tx, txns.n);
    const orders = await one<{ n: number; revenue: number }>(
      db,
      `SELECT count(*)::int AS n, sum(revenue) AS revenue FROM warehouse.fact_orders`,
    );
    assert.equal(orders.n, txns.n);
    assert.equal(
      Math.round(orders.revenue * 100),
      Math.round(prod.revenue * 100),
    );
    // Profit = line_total - cost * quantity, with the product's cost.
    const profit = await one<{ bad: number }>(
      db,
      `SELECT count(*)::int AS bad FROM warehouse.fact_sales f JOIN production.products p
       ON p.product_id = (SELECT product_id FROM warehouse.dim_products d WHERE d.product_key = f.product_key)
     WHERE f.profit <> f.line_total - p.cost * f.quantity`,
    );
    assert.equal(profit.bad, 0);
    // Last purchase dates and discount averages, computed from production.
    const lastBad = await one<{ bad: number }>(
      db,
      `SELECT count(*)::int AS bad FROM warehouse.agg_customer_metrics m
     JOIN (SELECT t.customer_id, max(t.transaction_date) AS last
           FROM production.transactions t JOIN production.transaction_items i USING (transaction_id)
           GROUP BY 1) x USING (customer_id)
     WHERE m.last_purchase_date <> x.last`,
    );
    assert.equal(lastBad.bad, 0);
    const disc = await one<{ bad: number; max: number }>(
      db,
      `SELECT count(*) FILTER (WHERE abs(a.avg_discount_percentage - x.avg) > 0.005)::int AS bad,
            max(a.avg_discount_percentage) AS max
     FROM warehouse.agg_product_performance a
     JOIN (SELECT product_id, avg(discount_percentage) AS avg FROM production.transaction_items GROUP BY 1) x
       USING (product_id)`,
    );
    assert.equal(disc.bad, 0);
    assert.ok(disc.max > 1 && disc.max <= 100, "a percentage, not an amount");
    // Dates, holidays, weekends, price bands.
    const xmas = await one<
      { is_holiday: boolean; is_weekend: boolean; day_name: string }
    >(
      db,
      `SELECT is_holiday, is_weekend, day_name FROM warehouse.dim_date WHERE date_key = 20251225`,
    );
    assert.deepEqual(xmas, {
      is_holiday: true,
      is_weekend: false,
      day_name: "Thursday",
    });
    const sat = await one<{ is_weekend: boolean; is_holiday: boolean }>(
      db,
      `SELECT is_weekend, is_holiday FROM warehouse.dim_date WHERE full_date = '2025-03-15'`,
    );
    assert.deepEqual(sat, { is_weekend: true, is_holiday: false });
    const bands = await db.query(
      `SELECT DISTINCT price_range FROM warehouse.dim_products ORDER BY 1`,
    );
    assert.deepEqual(bands.map((b) => b.price_range), [
      "Budget",
      "Luxury",
      "Mid-range",
      "Premium",
    ]);
    const segments = await db.query(
      `SELECT DISTINCT customer_segment FROM warehouse.dim_customers ORDER BY 1`,
    );
    assert.deepEqual(segments.map((s) => s.customer_segment), [
      "New",
      "Regular",
      "VIP",
    ]);

    const second = await runWarehouse(config, db, { asOf: "2026-01-01" });
    assert.equal(second.factsInserted, 0);
    assert.deepEqual(second.customers, {
      new_ids: 0,
      new_versions: 0,
      closed: 0,
    });
    assert.deepEqual(second.products, {
      new_ids: 0,
      new_versions: 0,
      closed: 0,
    });
    const again = await one<{ revenue: number }>(
      db,
      `SELECT sum(total_revenue) AS revenue FROM warehouse.agg_daily_sales`,
    );
    assert.equal(again.revenue, daily.revenue);
    // Holidays come from the configuration; existing days are re-marked.
    const custom = {
      ...config,
      warehouse: { holidays: [{ month: 3, day: 15, name: "Shop Birthday" }] },
    };
    await runWarehouse(custom, db, { asOf: "2026-01-01" });
    const marked = await db.query<{ date_key: number; holiday_name: string }>(
      `SELECT date_key, holiday_name FROM warehouse.dim_date
       WHERE is_holiday AND year = 2025 ORDER BY 1`,
    );
    assert.deepEqual(marked, [{
      date_key: 20250315,
      holiday_name: "Shop Birthday",
    }]);
    const rebuilt = await runWarehouse(config, db, {
      asOf: "2026-01-01",
      rebuild: true,
    });
    assert.equal(rebuilt.factsInserted, prod.items);
  },
);

dbTest(
  "the fact load reads the items created after its watermark; an older item without a fact is found and loaded by a full pass",
  async ({ config, db }) => {
    await loadGenerated(config, db, 0, 0.05);
    await runTransform(config, db);
    const first = await runWarehouse(config, db, { asOf: "2026-01-01" });
    assert.equal(first.missedByWatermark, 0);
    const mark = await one<{ same: boolean }>(
      db,
      `SELECT (SELECT items_created_until FROM warehouse.fact_watermark)
         = (SELECT max(created_at) FROM production.transaction_items) AS same`,
    );
    assert.equal(mark.same, true);
    // An item the watermark says is loaded, without its fact (as after a
    // clock stepped back): the scoped load misses it, the check finds it.
    const victim = await one<
      { transaction_id: string; item_id: string; line_total: string }
    >(
      db,
      `SELECT transaction_id, item_id, line_total::text FROM warehouse.fact_sales
       ORDER BY transaction_id, item_id LIMIT 1`,
    );
    await db.query(
      `DELETE FROM warehouse.fact_sales WHERE transaction_id = $1 AND item_id = $2`,
      [victim.transaction_id, victim.item_id],
    );
    await db.query(
      `UPDATE production.transaction_items SET created_at = '2000-01-01'
       WHERE transaction_id = $1 AND item_id = $2`,
      [victim.transaction_id, victim.item_id],
    );
    const healed = await runWarehouse(config, db, { asOf: "2026-01-01" });
    assert.equal(healed.missedByWatermark, 1);
    assert.equal(healed.factsInserted, 1);
    const back = await one<{ line_total: string; revenue_ok: boolean }>(
      db,
      `SELECT f.line_total::text,
         (SELECT revenue FROM warehouse.fact_orders WHERE transaction_id = $1)
           = (SELECT sum(line_total) FROM production.transaction_items
              WHERE transaction_id = $1) AS revenue_ok
       FROM warehouse.fact_sales f WHERE transaction_id = $1 AND item_id = $2`,
      [victim.transaction_id, victim.item_id],
    );
    assert.deepEqual(back, { line_total: victim.line_total, revenue_ok: true });
    const quiet = await runWarehouse(config, db, { asOf: "2026-01-01" });
    assert.equal(quiet.missedByWatermark, 0);
    assert.equal(quiet.factsInserted, 0);
  },
);

dbTest(
  "SCD2: changed customers and a repriced product get a second version; facts stay point-in-time",
  async ({ config, db }) => {
    const raw = await loadGenerated(config, db, 0, 0.1);
    await runTransform(config, db);
    await runWarehouse(config, db, { asOf: "2026-01-01" });

    const customers = await readCsv(`${raw}/customers.csv`);
    const moved = [customers[5][0], customers[17][0], customers[42][0]];
    for (const row of customers.slice(1)) {
      if (moved.includes(row[0])) row[6] = `${row[6]} Heights`;
    }
    await Deno.writeTextFile(`${raw}/customers.csv`, toCsv(customers));
    const products = await readCsv(`${raw}/products.csv`);
    const repriced = products[3][0];
    const price = products[3][4];
    products[3][4] = (Number(price) + 1).toFixed(2);
    await Deno.writeTextFile(`${raw}/products.csv`, toCsv(products));
    // New sales after the change, for the moved customers and the product.
    const txns = await readCsv(`${raw}/transactions.csv`);
    const items = await readCsv(`${raw}/transaction_items.csv`);
    moved.forEach((c, i) => {
      txns.push([
        `TXN-NEW-${i}`,
        c,
        "2026-01-15",
        "10:00:00",
        "UPI",
        "somewhere",
        products[3][4],
      ]);
      items.push([
        `ITEM-NEW-${i}`,
        `TXN-NEW-${i}`,
        repriced,
        "1",
        products[3][4],
        "0",
        products[3][4],
      ]);
    });
    await Deno.writeTextFile(`${raw}/transactions.csv`, toCsv(txns));
    await Deno.writeTextFile(`${raw}/transaction_items.csv`, toCsv(items));
    await runIngest(config, db);
    await runTransform(config, db);
    const result = await runWarehouse(config, db, { asOf: "2026-01-10" });

    const versioned = await db.query<{ customer_id: string }>(
      `SELECT customer_id FROM warehouse.dim_customers GROUP BY 1 HAVING count(*) > 1 ORDER BY 1`,
    );
    // Extra orders can move a customer's segment; the moved ones changed city anyway.
    assert.deepEqual(versioned.map((v) => v.customer_id), [...moved].sort());
    const pv = await db.query<{ product_id: string }>(
      `SELECT product_id FROM warehouse.dim_products GROUP BY 1 HAVING count(*) > 1`,
    );
    assert.deepEqual(pv.map((p) => p.product_id), [repriced]);
    assert.equal(result.customers.new_versions, 3);
    assert.equal(result.products.new_versions, 1);

    for (const c of moved) {
      const versions = await db.query<
        {
          city: string;
          effective_date: string;
          end_date: string;
          is_current: boolean;
        }
      >(
        `SELECT city, effective_date, end_date, is_current FROM warehouse.dim_customers
       WHERE customer_id = $1 ORDER BY effective_date`,
        [c],
      );
      assert.equal(versions.length, 2);
      assert.deepEqual(
        versions.map((v) => [v.effective_date, v.end_date, v.is_current]),
        [["1900-01-01", "2026-01-09", false], [
          "2026-01-10",
          "9999-12-31",
          true,
        ]],
      );
      assert.equal(versions[1].city, `${versions[0].city} Heights`);
      // Old sales keep the old city; the new sale has the new one.
      const cities = await db.query<{ city: string; new_sale: boolean }>(
        `SELECT DISTINCT dc.city, f.transaction_id LIKE 'TXN-NEW-%' AS new_sale
       FROM warehouse.fact_sales f JOIN warehouse.dim_customers dc USING (customer_key)
       WHERE dc.customer_id = $1 ORDER BY 2`,
        [c],
      );
      assert.deepEqual(cities.at(-1), {
        city: versions[1].city,
        new_sale: true,
      });
      assert.ok(
        cities.filter((x) => !x.new_sale).every((x) =>
          x.city === versions[0].city
        ),
      );
    }
    const prices = await db.query<{ price: number; new_sale: boolean }>(
      `SELECT DISTINCT dp.price, f.transaction_id LIKE 'TXN-NEW-%' AS new_sale
     FROM warehouse.fact_sales f JOIN warehouse.dim_products dp USING (product_key)
     WHERE dp.product_id = $1 ORDER BY 2`,
      [repriced],
    );
    assert.deepEqual(prices, [{ price: Number(price), new_sale: false }, {
      price: Number(price) + 1,
      new_sale: true,
    }]);
    const invariants = await one<{ multi: number }>(
      db,
      `SELECT count(*)::int AS multi FROM (SELECT customer_id FROM warehouse.dim_customers WHERE is_current
       GROUP BY 1 HAVING count(*) <> 1) x`,
    );
    assert.equal(invariants.multi, 0);

    const third = await runWarehouse(config, db, { asOf: "2026-01-11" });
    assert.deepEqual(third.customers, {
      new_ids: 0,
      new_versions: 0,
      closed: 0,
    });
    assert.deepEqual(third.products, {
      new_ids: 0,
      new_versions: 0,
      closed: 0,
    });
    assert.equal(third.factsInserted, 0);
  },
);
