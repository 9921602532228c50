/**
 * Numbers users can believe, part two: impossible dates never become
 * revenue, and a bad optional value never costs a sale. A hand-written
 * export, each row saying what must become of it, on both backends.
 */
import assert from "node:assert/strict";
import { csvLine } from "../lib/synth/csv_writer.ts";
import { CONTRACT_COLUMNS, TABLES } from "../lib/contract.ts";
import { runIngest } from "../stages/ingest.ts";
import { runQuality } from "../stages/quality.ts";
import { runTransform } from "../stages/transform.ts";
import { runWarehouse } from "../stages/warehouse.ts";
import { plausibleRange } from "../lib/plausible.ts";
import { dbTest } from "./helpers.ts";

const TODAY = new Date().toISOString().slice(0, 10);
const plusDays = (iso: string, d: number) => {
  const x = new Date(`${iso}T00:00:00Z`);
  x.setUTCDate(x.getUTCDate() + d);
  return x.toISOString().slice(0, 10);
};

/** A hand-written export: each row states what must become of it. */
function handSet(): Record<string, string[][]> {
  return {
    customers: [
      [
        "C1",
        "Ann",
        "Lee",
        "ann@example.com",
        "+1-555-010-0001",
        "2024-03-01",
        "Austin",
        "TX",
        "USA",
        "26-35",
      ],
      // Malformed email and phone: kept, both NULL.
      [
        "C2",
        "Bob",
        "Ray",
        "bob.example.com",
        "12",
        "2024-04-01",
        "Reno",
        "NV",
        "USA",
        "36-45",
      ],
      // Registered in 1999: before quality.earliestDate; rejected, its order too.
      [
        "C3",
        "Cy",
        "Old",
        "cy@example.com",
        "",
        "1999-05-01",
        "Waco",
        "TX",
        "USA",
        "60+",
      ],
      // Registered the day after tomorrow: rejected.
      [
        "C4",
        "Di",
        "New",
        "di@example.com",
        "",
        plusDays(TODAY, 2),
        "Waco",
        "TX",
        "USA",
        "18-25",
      ],
    ],
    products: [
      ["P1", "Lamp", "Home", "Lighting", "20.00", "8.00", "Brite", "5", "S1"],
      // Negative cost, unparseable stock: kept, both NULL; its sale stays.
      [
        "P2",
        "Mug",
        "Home",
        "Kitchen",
        "10.00",
        "-3.00",
        "Cup Co",
        "lots",
        "S1",
      ],
      // Unparseable cost, negative stock: kept, both NULL.
      ["P3", "Pen", "Office", "Writing", "2.50", "n/a", "Inky", "-4", "S2"],
    ],
    transactions: [
      [
        "T1",
        "C1",
        "2025-06-01",
        "10:00:00",
        "Credit Card",
        "1 Main St",
        "20.00",
      ],
      // Unparseable time and total: kept, time NULL, total from the items.
      [
        "T2",
        "C2",
        "2025-06-02",
        "25:61:00",
        "PayPal",
        "2 Main St",
        "about ten",
      ],
      // Dated the day after tomorrow: rejected with its items.
      [
        "T3",
        "C1",
        plusDays(TODAY, 2),
        "09:00:00",
        "Credit Card",
        "1 Main St",
        "2.50",
      ],
      // Dated in 1999: rejected.
      [
        "T4",
        "C1",
        "1999-12-31",
        "09:00:00",
        "Credit Card",
        "1 Main St",
        "20.00",
      ],
      // Tomorrow (one day of slack for time zones): kept.
      [
        "T5",
        "C1",
        plusDays(TODAY, 1),
        "23:30:00",
        "Credit Card",
        "1 Main St",
        "5.00",
      ],
      // Its customer was rejected.
      [
        "T6",
        "C3",
        "2025-06-03",
        "09:00:00",
        "Credit Card",
        "3 Main St",
        "2.50",
      ],
    ],
    transaction_items: [
      ["I1", "T1", "P1", "1", "20.00", "0", "20.00"],
      ["I2", "T2", "P2", "1", "10.00", "0", "ten"],
      ["I3", "T3", "P3", "1", "2.50", "0", "2.50"],
      ["I4", "T4", "P1", "1", "20.00", "0", "20.00"],
      ["I5", "T5", "P3", "2", "2.50", "0", "5.00"],
      ["I6", "T6", "P3", "1", "2.50", "0", "2.50"],
    ],
  };
}

async function writeSet(dir: string, set: Record<string, string[][]>) {
  await Deno.mkdir(dir, { recursive: true });
  for (const t of TABLES) {
    await Deno.writeTextFile(
      `${dir}/${t}.csv`,
      [CONTRACT_COLUMNS[t], ...set[t]].map(csvLine).join(""),
    );
  }
}

dbTest(
  "impossible dates are rejected and never reach the warehouse; bad optional values are NULL and cost no sale",
  async ({ config, db, dir }) => {
    const input = `${dir}/hand`;
    await writeSet(input, handSet());
    await runIngest(config, db, { inputDir: input });
    const q = await runQuality(config, db);
    assert.equal(q.checks["transactions.future_date"].failed, 2, "T3, T4");
    assert.equal(q.checks["customers.future_date"].failed, 2, "C3, C4");
    const t = await runTransform(config, db);

    const rejects = await db.query<{ id: string; reasons: string[] }>(
      `SELECT record_id AS id, reasons FROM production.rejected_records ORDER BY table_name, record_id`,
    );
    assert.deepEqual(rejects, [
      { id: "C3", reasons: ["implausible_registration_date"] },
      { id: "C4", reasons: ["future_registration_date"] },
      { id: "I3", reasons: ["transaction_rejected"] },
      { id: "I4", reasons: ["transaction_rejected"] },
      { id: "I6", reasons: ["transaction_rejected"] },
      { id: "T3", reasons: ["future_transaction_date"] },
      { id: "T4", reasons: ["implausible_transaction_date"] },
      { id: "T6", reasons: ["customer_rejected"] },
    ]);
    assert.deepEqual(t.tables.customers.nulled_values, {
      malformed_email: 1,
      malformed_phone: 1,
    });
    assert.deepEqual(t.tables.products.nulled_values, {
      negative_cost: 1,
      negative_stock_quantity: 1,
      unparseable_cost: 1,
      unparseable_stock_quantity: 1,
    });
    assert.deepEqual(t.tables.transactions.nulled_values, {
      unparseable_total_amount: 1,
      unparseable_transaction_time: 1,
    });
    assert.deepEqual(t.tables.transaction_items.nulled_values, {
      unparseable_line_total: 1,
    });
    const summary = JSON.parse(
      await Deno.readTextFile(
        `${config.dataDir}/processed/transformation_summary.json`,
      ),
    );
    assert.equal(summary.tables.products.nulled_values.negative_cost, 1);

    assert.deepEqual(
      await db.query(
        `SELECT customer_id, email, phone FROM production.customers ORDER BY 1`,
      ),
      [
        { customer_id: "C1", email: "ann@example.com", phone: "+15550100001" },
        { customer_id: "C2", email: null, phone: null },
      ],
    );
    assert.deepEqual(
      await db.query(
        `SELECT product_id, cost::text, stock_quantity FROM production.products ORDER BY 1`,
      ),
      [
        { product_id: "P1", cost: "8.00", stock_quantity: 5 },
        { product_id: "P2", cost: null, stock_quantity: null },
        { product_id: "P3", cost: null, stock_quantity: null },
      ],
    );
    assert.deepEqual(
      await db.query(
        `SELECT transaction_id, transaction_time::text AS t, total_amount::text AS total
         FROM production.transactions ORDER BY 1`,
      ),
      [
        { transaction_id: "T1", t: "10:00:00", total: "20.00" },
        { transaction_id: "T2", t: null, total: "10.00" },
        { transaction_id: "T5", t: "23:30:00", total: "5.00" },
      ],
    );

    await runWarehouse(config, db, { asOf: "2025-06-30" });
    const [w] = await db.query<Record<string, string | number>>(
      `SELECT (SELECT count(*)::int FROM warehouse.fact_sales) AS facts,
         (SELECT sum(line_total)::text FROM warehouse.fact_sales) AS revenue,
         (SELECT min(full_date)::text FROM warehouse.dim_date) AS first_day,
         (SELECT max(full_date)::text FROM warehouse.dim_date) AS last_day`,
    );
    // I1, I2 and I5: P2's negative cost cost it nothing.
    assert.deepEqual(w, {
      facts: 3,
      revenue: "35.00",
      first_day: "2025-01-01",
      last_day: `${plusDays(TODAY, 1).slice(0, 4)}-12-31`,
    });
  },
);

Deno.test("the plausible range ends a day after the business day, or after today", () => {
  const config = { quality: { earliestDate: "2000-01-01" } };
  assert.deepEqual(plausibleRange(config, "2026-01-31"), {
    earliest: "2000-01-01",
    latest: "2026-02-01",
  });
  assert.deepEqual(
    plausibleRange(config, undefined, new Date("2026-12-31T23:59:00Z")),
    { earliest: "2000-01-01", latest: "2027-01-01" },
  );
});
