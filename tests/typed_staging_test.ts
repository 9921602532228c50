/**
 * Typed staging (work.items, work.transactions): built once per staging load
 * by the quality stage and reused by the transform, and rebuilt when staging
 * changed in between, so the transform never works from a stale parse.
 */
import assert from "node:assert/strict";
import { runIngest } from "../stages/ingest.ts";
import { runQuality } from "../stages/quality.ts";
import { runTransform } from "../stages/transform.ts";
import { ensureTypedStaging } from "../lib/typed_staging.ts";
import { dbTest } from "./helpers.ts";

const HEADERS = {
  "customers.csv":
    "customer_id,first_name,last_name,email,phone,registration_date,city,state,country,age_group",
  "products.csv":
    "product_id,product_name,category,sub_category,price,cost,brand,stock_quantity,supplier_id",
  "transactions.csv":
    "transaction_id,customer_id,transaction_date,transaction_time,payment_method,shipping_address,total_amount",
  "transaction_items.csv":
    "item_id,transaction_id,product_id,quantity,unit_price,discount_percentage,line_total",
};

dbTest(
  "typed staging is reused for the same load and rebuilt when staging changed",
  async ({ config, db }) => {
    const raw = `${config.dataDir}/raw`;
    await Deno.mkdir(raw, { recursive: true });
    const load = async (transactions: string[], items: string[]) => {
      const rows: Record<string, string[]> = {
        "customers.csv": [
          "C1,Ann,Lee,ann@x.io,,2024-01-01,Austin,Texas,USA,26-35",
        ],
        "products.csv": ["P1,Mug,Home,Kitchen,10.00,4.00,Acme,5,S1"],
        "transactions.csv": transactions,
        "transaction_items.csv": items,
      };
      for (const [file, header] of Object.entries(HEADERS)) {
        await Deno.writeTextFile(
          `${raw}/${file}`,
          [header, ...rows[file]].join("\n") + "\n",
        );
      }
      await runIngest(config, db);
    };
    const builds = () =>
      db.query<{ table_name: string; staging_rows: number }>(
        "SELECT table_name, staging_rows::int AS staging_rows FROM work.builds ORDER BY 1",
      );

    await load(
      ["T1,C1,2025-03-01,10:00:00,UPI,1 Main St,20.00"],
      ["I1,T1,P1,2,10.00,0,20.00"],
    );
    await runQuality(config, db);
    assert.deepEqual(await builds(), [
      { table_name: "transaction_items", staging_rows: 1 },
      { table_name: "transactions", staging_rows: 1 },
    ]);
    // Same load: nothing to rebuild.
    assert.deepEqual(await ensureTypedStaging(db), []);

    // A new load the quality stage has not seen: the transform must parse it.
    await load(
      ["T1,C1,2025-03-01,10:00:00,UPI,1 Main St,35.00"],
      ["I1,T1,P1,3,10.00,0,30.00", "I2,T1,P1,1,5.00,0,5.00"],
    );
    await runTransform(config, db);
    assert.deepEqual(
      await db.query(
        `SELECT item_id, quantity, line_total::text FROM production.transaction_items
         ORDER BY 1`,
      ),
      [
        { item_id: "I1", quantity: 3, line_total: "30.00" },
        { item_id: "I2", quantity: 1, line_total: "5.00" },
      ],
    );
    assert.deepEqual(
      await db.query(
        "SELECT total_amount::text FROM production.transactions",
      ),
      [{ total_amount: "35.00" }],
    );
    assert.deepEqual(await builds(), [
      { table_name: "transaction_items", staging_rows: 2 },
      { table_name: "transactions", staging_rows: 1 },
    ]);
  },
);
