/**
 * Production layer: every staging row is accounted for, rejects carry the
 * right reasons, derived amounts are corrected from their inputs, noise is
 * cleansed, constraint violations become rejects, and re-runs change nothing.
 */
import assert from "node:assert/strict";
import { runTransform } from "../stages/transform.ts";
import { runIngest } from "../stages/ingest.ts";
import { TABLES } from "../lib/contract.ts";
import type { Db } from "../lib/db.ts";
import { dbTest, loadGenerated, readCsvObjects } from "./helpers.ts";

/** Which reject reason each injected defect must produce. */
const REJECT_REASON: Record<string, (column: string) => string> = {
  missing_mandatory: (c) => `missing_${c}`,
  unparseable_date: (c) => `unparseable_${c}`,
  unparseable_number: (c) => `unparseable_${c}`,
  conflicting_duplicate: () => "duplicate_conflict",
  duplicate_email: () => "duplicate_email",
  non_positive_price: () => "negative_price",
  orphan_customer: () => "orphan_customer",
  orphan_transaction: () => "orphan_transaction",
  orphan_product: () => "orphan_product",
  non_positive_quantity: () => "non_positive_quantity",
  discount_out_of_range: () => "discount_out_of_range",
  // Dated in 2099: it did not happen as recorded.
  future_date: () => "future_transaction_date",
};
/** Defects the contract keeps in production (reported only). */
const KEPT = new Set([
  "malformed_email",
  "unknown_category",
  "cost_above_price",
  "before_registration",
  "total_mismatch",
  "line_total_mismatch",
  "without_items",
]);
const ID: Record<string, string> = {
  "customers.csv": "customer_id",
  "products.csv": "product_id",
  "transactions.csv": "transaction_id",
  "transaction_items.csv": "item_id",
};

async function dump(db: Db): Promise<string[]> {
  const out: string[] = [];
  for (const t of TABLES) {
    const [r] = await db.query<{ d: string; n: number }>(
      `SELECT md5(coalesce(string_agg(p::text, '|' ORDER BY p::text), '')) AS d, count(*)::int AS n
       FROM production.${t} p`,
    );
    out.push(`${t}:${r.n}:${r.d}`);
  }
  return out;
}

dbTest(
  "rows reconcile, defects land where the contract says, amounts are corrected",
  async ({ config, db }) => {
    const raw = await loadGenerated(config, db, 0.03);
    const result = await runTransform(config, db);
    const manifest = await readCsvObjects(`${raw}/injected_defects.csv`);

    for (const t of TABLES) {
      const s = result.tables[t];
      const [{ staged }] = await db.query<{ staged: number }>(
        `SELECT count(*)::int AS staged FROM staging.${t}`,
      );
      const [{ prod }] = await db.query<{ prod: number }>(
        `SELECT count(*)::int AS prod FROM production.${t}`,
      );
      const [{ rej }] = await db.query<{ rej: number }>(
        `SELECT count(*)::int AS rej FROM production.rejected_records WHERE table_name = $1`,
        [t],
      );
      assert.equal(s.input, staged, t);
      assert.equal(
        staged,
        prod + rej + s.duplicates_collapsed,
        `${t} reconciles`,
      );
      assert.equal(s.output, prod);
      assert.equal(s.rejected, rej);
      const collapsed = manifest.filter((m) =>
        m.file === `${t}.csv` && m.defect_kind === "exact_duplicate"
      ).length;
      assert.equal(
        s.duplicates_collapsed,
        collapsed,
        `${t} exact duplicates collapsed`,
      );
    }

    const rejects = new Map<string, string[]>();
    for (
      const r of await db.query<
        { table_name: string; source_row: number; reasons: string[] }
      >(
        `SELECT table_name, source_row::int AS source_row, reasons FROM production.rejected_records`,
      )
    ) rejects.set(`${r.table_name}.csv@${r.source_row}`, r.reasons);

    for (const m of manifest) {
      const key = `${m.file}@${m.source_row}`;
      const table = m.file.replace(".csv", "");
      const reason = REJECT_REASON[m.defect_kind];
      if (reason) {
        assert.ok(
          rejects.get(key)?.includes(reason(m.column)),
          `${key} ${m.defect_kind} -> ${reason(m.column)}: ${rejects.get(key)}`,
        );
      } else if (
        KEPT.has(m.defect_kind) || m.defect_kind.startsWith("noise_")
      ) {
        // Kept unless its parent was rejected.
        const reasons = rejects.get(key) ?? [];
        assert.ok(
          reasons.every((r) => r.endsWith("_rejected")),
          `${key} ${m.defect_kind} kept: ${reasons}`,
        );
        if (reasons.length === 0) {
          const [found] = await db.query(
            `SELECT 1 FROM production.${table} WHERE ${ID[m.file]} = $1`,
            [m.record_id],
          );
          assert.ok(found, `${key} ${m.defect_kind} is in production`);
        }
      } else {
        assert.equal(m.defect_kind, "exact_duplicate");
        assert.ok(!rejects.has(key), `${key} collapsed, not rejected`);
      }
    }

    // Line totals: the formula, recomputed here from the CSV values.
    const items = new Map(
      (await readCsvObjects(`${raw}/transaction_items.csv`)).map((
        r,
      ) => [r.item_id, r]),
    );
    let corrected = 0;
    for (
      const m of manifest.filter((m) => m.defect_kind === "line_total_mismatch")
    ) {
      const [row] = await db.query<{ line_total: number }>(
        `SELECT line_total FROM production.transaction_items WHERE item_id = $1`,
        [m.record_id],
      );
      if (!row) continue; // its transaction or product was rejected
      const it = items.get(m.record_id)!;
      const cents = Number(it.quantity) *
        Math.round(Number(it.unit_price) * 100) *
        (100 - Number(it.discount_percentage));
      assert.equal(
        Math.round(row.line_total * 100),
        Math.round(cents / 100),
        m.record_id,
      );
      corrected++;
    }
    assert.equal(
      result.tables.transaction_items.corrected_values.line_total,
      corrected,
    );
    // Totals equal the sum of the items in production, to the cent.
    const [bad] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM production.transactions t
     JOIN (SELECT transaction_id, sum(line_total) AS s FROM production.transaction_items GROUP BY 1) i
       USING (transaction_id)
     WHERE abs(t.total_amount - i.s) > 0.01`,
    );
    assert.equal(bad.n, 0);

    // Cleansing: noise is repaired.
    const noisy = (kind: string) =>
      manifest.filter((m) => m.defect_kind === kind).map((m) => m.record_id);
    for (const id of noisy("noise_email_case")) {
      const [c] = await db.query<{ email: string }>(
        `SELECT email FROM production.customers WHERE customer_id = $1`,
        [id],
      );
      if (c) assert.equal(c.email, c.email.toLowerCase().trim());
    }
    for (const id of noisy("noise_phone_format")) {
      const [c] = await db.query<{ phone: string }>(
        `SELECT phone FROM production.customers WHERE customer_id = $1`,
        [id],
      );
      if (c) assert.match(c.phone, /^\d{10}$/);
    }
    for (
      const id of noisy("noise_whitespace").filter((x) => x.startsWith("CUST"))
    ) {
      const [c] = await db.query<{ first_name: string; city: string }>(
        `SELECT first_name, city FROM production.customers WHERE customer_id = $1`,
        [id],
      );
      if (c) {
        assert.equal(c.first_name, c.first_name.trim());
        assert.equal(c.city, c.city.trim());
      }
    }
    const methods = await db.query<{ payment_method: string }>(
      `SELECT DISTINCT payment_method FROM production.transactions ORDER BY 1`,
    );
    assert.deepEqual(
      methods.map((m) => m.payment_method),
      [
        "Cash on Delivery",
        "Credit Card",
        "Debit Card",
        "Net Banking",
        "PayPal",
        "UPI",
      ],
    );
    const summary = JSON.parse(
      await Deno.readTextFile(
        `${config.dataDir}/processed/transformation_summary.json`,
      ),
    );
    assert.equal(
      summary.tables.customers.rejected,
      result.tables.customers.rejected,
    );
  },
);

dbTest(
  "re-running on the same staging data leaves production identical",
  async ({ config, db }) => {
    await loadGenerated(config, db, 0.03, 0.1);
    const first = await runTransform(config, db);
    const before = await dump(db);
    const second = await runTransform(config, db);
    assert.deepEqual(await dump(db), before);
    for (const t of TABLES) {
      assert.equal(second.tables[t].inserted, 0);
      assert.equal(second.tables[t].updated, 0);
      assert.equal(second.tables[t].unchanged, first.tables[t].output);
      assert.deepEqual(
        second.tables[t].rejected_by_reason,
        first.tables[t].rejected_by_reason,
      );
    }
    const [{ n }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM production.rejected_records`,
    );
    assert.equal(
      n,
      TABLES.reduce((a, t) => a + first.tables[t].rejected, 0),
      "rejects are not repeated",
    );
  },
);

dbTest(
  "constraint violations become rejects; an incremental load adds without touching",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await Deno.mkdir(raw, { recursive: true });
    const write = async (files: Record<string, string[]>) => {
      for (const [f, lines] of Object.entries(files)) {
        await Deno.writeTextFile(`${raw}/${f}`, lines.join("\n") + "\n");
      }
    };
    await write({
      "customers.csv": [
        "customer_id,first_name,last_name,email,phone,registration_date,city,state,country,age_group",
        "C1,ann,lee, Ann@X.io ,(555) 010-2000,2024-01-01,Austin,Texas,USA,26-35",
        "C2,bob,ray,ann@x.io,,2024-01-02,Austin,Texas,USA,18-25",
        "C3,cy,fox,cy@x.io,,2024-02-30,Austin,Texas,USA,18-25",
      ],
      "products.csv": [
        "product_id,product_name,category,sub_category,price,cost,brand,stock_quantity,supplier_id",
        "P1,Lamp,Home,Decor,20.00,30.00,Acme,5,S1",
        "P2,Desk,Home,Decor,-5.00,1.00,Acme,5,S1",
      ],
      "transactions.csv": [
        "transaction_id,customer_id,transaction_date,transaction_time,payment_method,shipping_address,total_amount",
        "T1,C1,2025-01-05,10:00:00,credit card,x,40.00",
        "T2,C2,2025-01-05,10:00:00,COD,x,20.00",
        "T3,C1,2025-01-06,25:00:00,UPI,x,20.00",
      ],
      "transaction_items.csv": [
        "item_id,transaction_id,product_id,quantity,unit_price,discount_percentage,line_total",
        "I1,T1,P1,2,20.00,0,40.00",
        "I2,T1,P1,0,20.00,0,0.00",
        "I3,T1,P1,1,20.00,101,-0.20",
        "I4,T2,P1,1,20.00,,20.00",
        "I5,T1,P2,1,-5.00,0,-5.00",
      ],
    });
    await runIngest(config, db);
    const r = await runTransform(config, db);
    const rejected = await db.query<{ record_id: string; reasons: string[] }>(
      `SELECT record_id, reasons FROM production.rejected_records ORDER BY table_name, source_row`,
    );
    assert.deepEqual(rejected, [
      { record_id: "C2", reasons: ["duplicate_email"] },
      { record_id: "C3", reasons: ["unparseable_registration_date"] },
      { record_id: "P2", reasons: ["negative_price"] },
      { record_id: "I2", reasons: ["non_positive_quantity"] },
      { record_id: "I3", reasons: ["discount_out_of_range"] },
      { record_id: "I4", reasons: ["transaction_rejected"] },
      { record_id: "I5", reasons: ["negative_unit_price", "product_rejected"] },
      { record_id: "T2", reasons: ["customer_rejected"] },
    ]);
    // An unparseable time is optional: the order stays, its time NULL.
    assert.deepEqual(r.tables.transactions.nulled_values, {
      unparseable_transaction_time: 1,
    });
    const [c1] = await db.query(
      `SELECT first_name, email, phone FROM production.customers`,
    );
    assert.deepEqual(c1, {
      first_name: "Ann",
      email: "ann@x.io",
      phone: "5550102000",
    });
    const [p1] = await db.query(`SELECT price, cost FROM production.products`);
    assert.deepEqual(p1, { price: 20, cost: 30 }, "cost above price is kept");
    const [t1, t3] = await db.query(
      `SELECT payment_method, total_amount, transaction_time
       FROM production.transactions ORDER BY transaction_id`,
    );
    assert.deepEqual(t1, {
      payment_method: "Credit Card",
      total_amount: 40,
      transaction_time: "10:00:00",
    });
    assert.deepEqual(t3, {
      payment_method: "UPI",
      total_amount: 20,
      transaction_time: null,
    });
    assert.equal(r.tables.transactions.output, 2);

    // An increment: one new transaction for an existing customer; nothing else changes.
    const before = await db.query(
      `SELECT transaction_id, updated_at::text FROM production.transactions`,
    );
    await write({
      "customers.csv": [
        "customer_id,first_name,last_name,email,phone,registration_date,city,state,country,age_group",
      ],
      "products.csv": [
        "product_id,product_name,category,sub_category,price,cost,brand,stock_quantity,supplier_id",
      ],
      "transactions.csv": [
        "transaction_id,customer_id,transaction_date,transaction_time,payment_method,shipping_address,total_amount",
        "T9,C1,2025-01-07,09:00:00,PayPal,y,20.00",
      ],
      "transaction_items.csv": [
        "item_id,transaction_id,product_id,quantity,unit_price,discount_percentage,line_total",
        "I9,T9,P1,1,20.00,0,20.00",
      ],
    });
    await runIngest(config, db);
    const inc = await runTransform(config, db, { incremental: true });
    assert.equal(inc.tables.transactions.inserted, 1);
    assert.equal(inc.tables.transaction_items.inserted, 1);
    const after = await db.query(
      `SELECT transaction_id, updated_at::text FROM production.transactions WHERE transaction_id <> 'T9'`,
    );
    assert.deepEqual(after, before);
    const [{ active }] = await db.query<{ active: number }>(
      `SELECT count(*)::int AS active FROM production.customers WHERE is_active`,
    );
    assert.equal(active, 1, "an increment does not deactivate customers");
  },
);
