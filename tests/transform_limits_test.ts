/**
 * Values beyond what production's types hold: a price, quantity or amount too
 * large becomes a reject with its reason (or, for an optional value, NULL),
 * never a failed load; quality, which parses the same values first, reports
 * them without crashing.
 */
import assert from "node:assert/strict";
import { runTransform } from "../stages/transform.ts";
import { runIngest } from "../stages/ingest.ts";
import { runQuality } from "../stages/quality.ts";
import { dbTest } from "./helpers.ts";

dbTest(
  "amounts beyond the production types become rejects, not a failed load",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await Deno.mkdir(raw, { recursive: true });
    const files: Record<string, string[]> = {
      "customers.csv": [
        "customer_id,first_name,last_name,email,phone,registration_date,city,state,country,age_group",
        "C1,ann,lee,ann@x.io,,2024-01-01,Austin,Texas,USA,26-35",
      ],
      "products.csv": [
        "product_id,product_name,category,sub_category,price,cost,brand,stock_quantity,supplier_id",
        "P1,Lamp,Home,Decor,20.00,10.00,Acme,5,S1",
        // numeric(12,2) holds at most 9999999999.99.
        "P3,Gold,Home,Decor,99999999999.99,1.00,Acme,5,S1",
        // int4 holds at most 2147483647.
        "P4,Sand,Home,Decor,1.00,0.50,Acme,99999999999,S1",
      ],
      "transactions.csv": [
        "transaction_id,customer_id,transaction_date,transaction_time,payment_method,shipping_address,total_amount",
        "T1,C1,2025-01-05,10:00:00,credit card,x,40.00",
      ],
      "transaction_items.csv": [
        "item_id,transaction_id,product_id,quantity,unit_price,discount_percentage,line_total",
        "I1,T1,P1,2,20.00,0,40.00",
        "I6,T1,P1,9999999999,1.00,0,1.00",
        "I7,T1,P1,1,99999999999.00,0,99999999999.00",
        // 999,999,999 x 9,999 = 9.999e12: beyond numeric(14,2).
        "I8,T1,P1,999999999,9999.00,0,1.00",
      ],
    };
    for (const [f, lines] of Object.entries(files)) {
      await Deno.writeTextFile(`${raw}/${f}`, lines.join("\n") + "\n");
    }
    await runIngest(config, db);
    // Quality parses the same values first: it must report, not crash.
    const q = await runQuality(config, db);
    assert.equal(q.checks["transaction_items.unparseable_number"].failed, 1);
    assert.equal(q.checks["products.unparseable_number"].failed, 1);

    const r = await runTransform(config, db);
    const rejected = await db.query<{ record_id: string; reasons: string[] }>(
      `SELECT record_id, reasons FROM production.rejected_records ORDER BY table_name, source_row`,
    );
    assert.deepEqual(rejected, [
      { record_id: "P3", reasons: ["amount_out_of_range"] },
      { record_id: "I6", reasons: ["unparseable_quantity"] },
      { record_id: "I7", reasons: ["amount_out_of_range"] },
      { record_id: "I8", reasons: ["amount_out_of_range"] },
    ]);
    assert.equal(r.tables.transaction_items.output, 1);
    assert.equal(r.tables.transaction_items.rejected, 3);
    // A stock beyond int4 is an invalid optional value: the product stays.
    assert.deepEqual(r.tables.products.nulled_values, {
      unparseable_stock_quantity: 1,
    });
    const [t1] = await db.query(
      `SELECT total_amount FROM production.transactions`,
    );
    assert.deepEqual(t1, { total_amount: 40 });
  },
);
