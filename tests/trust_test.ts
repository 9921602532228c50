/**
 * Numbers users can believe: re-runs change nothing (rejects included), a
 * truncated export is refused instead of wiping a dimension, impossible
 * dates never become revenue, a bad optional value never costs a sale, and
 * the monitor is quiet on healthy data but fires on real faults. Each case
 * on both backends, with expectations written out by hand.
 */
import assert from "node:assert/strict";
import { csvLine } from "../lib/synth/csv_writer.ts";
import { CONTRACT_COLUMNS, TABLES } from "../lib/contract.ts";
import type { Db } from "../lib/db.ts";
import { runPipeline } from "../tasks/pipeline.ts";
import { runIngest } from "../stages/ingest.ts";
import { runQuality } from "../stages/quality.ts";
import { runTransform } from "../stages/transform.ts";
import { runWarehouse } from "../stages/warehouse.ts";
import { exitCode, runMonitor } from "../stages/monitor.ts";
import { plausibleRange } from "../lib/plausible.ts";
import { CORE_STEPS, dbTest, ROOT } from "./helpers.ts";

/** Every production and warehouse table, row by row, without load times or surrogate keys. */
async function everything(db: Db): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const skip = [
    "created_at",
    "updated_at",
    "run_id",
    "rejected_at",
    "staging_loaded_at",
    "customer_key",
    "product_key",
    "sales_key",
    "order_key",
  ];
  for (
    const t of [
      ...TABLES.map((t) => `production.${t}`),
      "production.rejected_records",
      "warehouse.dim_customers",
      "warehouse.dim_products",
      "warehouse.dim_date",
      "warehouse.fact_sales",
      "warehouse.fact_orders",
      "warehouse.agg_daily_sales",
      "warehouse.agg_customer_metrics",
      "warehouse.agg_product_performance",
    ]
  ) {
    const [r] = await db.query<{ n: number; d: string }>(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(x, '|' ORDER BY x), '')) AS d
       FROM (SELECT (to_jsonb(t) - $1::text[])::text AS x FROM ${t} t) s`,
      [`{${skip.join(",")}}`],
    );
    out[t] = r;
  }
  return out;
}

dbTest(
  "re-running the pipeline on the same files leaves every table identical, rejects included",
  async ({ config, open }) => {
    const first = await runPipeline(config, { steps: CORE_STEPS });
    assert.equal(first.status, "success");
    let db = await open();
    const once = await everything(db);
    const [{ rejected }] = await db.query<{ rejected: number }>(
      "SELECT count(*)::int AS rejected FROM production.rejected_records",
    );
    await db.close();
    const summary = JSON.parse(
      await Deno.readTextFile(
        `${config.dataDir}/processed/transformation_summary.json`,
      ),
    );
    const expected = TABLES.reduce((a, t) => a + summary.tables[t].rejected, 0);
    assert.equal(rejected, expected, "rejects are those of the one load");
    for (const run of [2, 3]) {
      const again = await runPipeline(config, { steps: CORE_STEPS });
      assert.equal(again.status, "success", `run ${run}`);
      db = await open();
      assert.deepEqual(await everything(db), once, `after run ${run}`);
      await db.close();
    }
  },
  { noDb: true, configOverrides: { generate: { scale: 0.2 } } },
);

async function copySet(
  from: string,
  to: string,
  edit: (t: string, text: string) => string,
) {
  await Deno.mkdir(to, { recursive: true });
  for (const t of TABLES) {
    await Deno.writeTextFile(
      `${to}/${t}.csv`,
      edit(t, await Deno.readTextFile(`${from}/${t}.csv`)),
    );
  }
}

dbTest(
  "a truncated export is refused naming the file and both counts; --allow-purge lets a real purge through",
  async ({ config, open, dir }) => {
    const base = await runPipeline(config, { steps: CORE_STEPS });
    assert.equal(base.status, "success");
    let db = await open();
    const active = async () =>
      (await db.query<{ c: number; p: number; dc: number }>(
        `SELECT (SELECT count(*)::int FROM production.customers WHERE is_active) AS c,
           (SELECT count(*)::int FROM production.products WHERE is_active) AS p,
           (SELECT count(*)::int FROM warehouse.dim_customers WHERE is_current) AS dc`,
      ))[0];
    const before = await active();
    await db.close();
    assert.ok(before.c > 100 && before.p > 50);

    const raw = `${config.dataDir}/raw`;
    const headerOnly = `${dir}/header-only`;
    await copySet(
      raw,
      headerOnly,
      (t, text) =>
        t === "customers" ? text.slice(0, text.indexOf("\n") + 1) : text,
    );
    const refused = await runPipeline(config, {
      steps: CORE_STEPS,
      inputDir: headerOnly,
    });
    assert.equal(refused.status, "failed");
    assert.equal(refused.errors[0].step, "quality");
    assert.match(
      refused.errors[0].message,
      new RegExp(
        `customers\\.csv is empty \\(0 rows\\), while production holds ${
          before.c.toLocaleString("en-US")
        } active customers`,
      ),
    );
    db = await open();
    assert.deepEqual(await active(), before, "nothing deactivated or expired");
    await db.close();

    // Products cut to a third: fewer than half.
    const third = `${dir}/third`;
    let kept = 0;
    await copySet(raw, third, (t, text) => {
      if (t !== "products") return text;
      const lines = text.trimEnd().split("\n");
      kept = Math.floor((lines.length - 1) / 3);
      return lines.slice(0, 1 + kept).join("\n") + "\n";
    });
    const cut = await runPipeline(config, {
      steps: CORE_STEPS,
      inputDir: third,
    });
    assert.equal(cut.status, "failed");
    assert.match(
      cut.errors[0].message,
      new RegExp(
        `products\\.csv has ${kept} rows, fewer than 50 % of the ${before.p} active products in production`,
      ),
    );
    // The transform refuses it too, when run without the gate.
    db = await open();
    await assert.rejects(
      () => runTransform(config, db),
      /products\.csv has \d+ rows, fewer than 50 %/,
    );
    assert.deepEqual(await active(), before);
    await db.close();

    // A real purge, asked for.
    const purge = {
      ...config,
      quality: { ...config.quality, allowPurge: true },
    };
    const purged = await runPipeline(purge, {
      steps: CORE_STEPS,
      inputDir: third,
    });
    assert.equal(purged.status, "success", JSON.stringify(purged.errors));
    db = await open();
    const after = await active();
    await db.close();
    assert.ok(after.p <= kept && after.p < before.p, `${after.p} products`);
  },
  { noDb: true, configOverrides: { generate: { scale: 0.2 } } },
);

dbTest(
  "quality on an empty staging fails with a clear message",
  async ({ config, db, dir }) => {
    const raw = `${dir}/empty`;
    await Deno.mkdir(raw);
    for (const t of TABLES) {
      await Deno.writeTextFile(
        `${raw}/${t}.csv`,
        csvLine(CONTRACT_COLUMNS[t]),
      );
    }
    await runIngest(config, db, { inputDir: raw });
    const r = await runQuality(config, db);
    assert.equal(r.passed, false);
    assert.match(
      r.gateFailures[0],
      /^staging is empty: nothing has been loaded/,
    );
  },
);

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

dbTest(
  "the monitor is healthy on the default generated data and fires on a 20 % day and a quality drop",
  async ({ config, open }) => {
    const run = await runPipeline(config, { steps: CORE_STEPS });
    assert.equal(run.status, "success");
    const db = await open();
    try {
      const healthy = await runMonitor(config, { db });
      assert.deepEqual(healthy.alerts, []);
      assert.equal(healthy.pipeline_health, "healthy");
      assert.equal(exitCode(healthy), 0);
      const volume = healthy.checks.data_volume_anomalies as unknown as {
        transactions: { actual: number; status: string };
      };
      // The generator's own December peak is within the expected range.
      assert.equal(volume.transactions.status, "ok");

      // The last day at a fifth of its volume.
      await db.exec(
        `UPDATE warehouse.agg_daily_sales SET
           total_transactions = round(total_transactions * 0.2),
           total_revenue = round(total_revenue * 0.2, 2)
         WHERE date_key = (SELECT max(date_key) FROM warehouse.agg_daily_sales)`,
      );
      const outage = await runMonitor(config, { db });
      assert.equal(outage.checks.data_volume_anomalies.status, "critical");
      assert.equal(outage.pipeline_health, "critical");
      assert.equal(exitCode(outage), 2);
      await db.exec(
        `UPDATE warehouse.agg_daily_sales SET
           total_transactions = round(total_transactions / 0.2),
           total_revenue = round(total_revenue / 0.2, 2)
         WHERE date_key = (SELECT max(date_key) FROM warehouse.agg_daily_sales)`,
      );

      // Quality falls 8 points below its trend: degraded, not critical.
      await db.exec(
        `INSERT INTO ops.dq_runs (run_id, checked_at, overall_score, grade, passed)
         SELECT 'prior' || i, now() - (12 - i) * interval '1 hour', 99, 'A', true
         FROM generate_series(1, 9) i;
         INSERT INTO ops.dq_runs (run_id, checked_at, overall_score, grade, passed)
         VALUES ('drop', now(), 91, 'A', true)`,
      );
      const drop = await runMonitor(config, { db });
      assert.equal(drop.checks.data_quality.status, "warning");
      assert.equal(drop.pipeline_health, "degraded");
      assert.equal(exitCode(drop), 1);
    } finally {
      await db.close();
    }
  },
  { noDb: true },
);

Deno.test("without a server and outside CI the server tests are skipped, with one line saying how to run them", async () => {
  const env = { ...Deno.env.toObject() };
  delete env.ECOM_TEST_DATABASE_URL;
  delete env.CI;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "--allow-all",
      "tests/roles_test.ts",
      "tests/config_test.ts",
    ],
    cwd: ROOT,
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /server tests skipped: set ECOM_TEST_DATABASE_URL=/);
  assert.match(text, /\.\.\. ignored/);
  assert.match(text, /\d+ passed .*\d+ ignored/);
});
