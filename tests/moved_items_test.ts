/**
 * A line item that moves to another transaction (the keys are
 * (transaction_id, item_id), so that Citus keeps an order on one shard): it
 * ends up once in production and once in the facts, under its new order,
 * the move is recorded, and both orders' figures follow.
 */
import assert from "node:assert/strict";
import { runIngest } from "../stages/ingest.ts";
import { runTransform } from "../stages/transform.ts";
import { runWarehouse } from "../stages/warehouse.ts";
import { dbTest, loadGenerated, readCsv } from "./helpers.ts";
import { csvLine } from "../lib/synth/csv_writer.ts";

dbTest(
  "an item moved to another transaction is deleted there and inserted here, in production and in the facts",
  async ({ config, db }) => {
    const raw = await loadGenerated(config, db, 0, 0.05);
    await runTransform(config, db);
    await runWarehouse(config, db, { asOf: "2026-01-01" });

    const items = await readCsv(`${raw}/transaction_items.csv`);
    const header = items[0];
    const col = (name: string) => header.indexOf(name);
    // An item of an order with several items moves to another order.
    const counts = new Map<string, number>();
    for (const r of items.slice(1)) {
      const t = r[col("transaction_id")];
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    const row = items.slice(1).find((r) =>
      counts.get(r[col("transaction_id")])! > 1
    )!;
    const item = row[col("item_id")];
    const from = row[col("transaction_id")];
    const to = items.slice(1).find((r) => r[col("transaction_id")] !== from)![
      col("transaction_id")
    ];
    const lineTotal = Number(row[col("line_total")]);
    row[col("transaction_id")] = to;
    await Deno.writeTextFile(
      `${raw}/transaction_items.csv`,
      items.map(csvLine).join(""),
    );

    const money = async () => {
      const rows = await db.query<
        { transaction_id: string; revenue: string; lines: number }
      >(
        `SELECT transaction_id, revenue::text, line_items AS lines FROM warehouse.fact_orders
         WHERE transaction_id IN ($1, $2)`,
        [from, to],
      );
      return Object.fromEntries(
        rows.map((r) => [r.transaction_id, {
          revenue: Number(r.revenue),
          lines: r.lines,
        }]),
      );
    };
    const before = await money();
    const [{ facts: factsBefore }] = await db.query<{ facts: number }>(
      "SELECT count(*)::int AS facts FROM warehouse.fact_sales",
    );

    await runIngest(config, db);
    await runTransform(config, db);
    await runWarehouse(config, db, { asOf: "2026-01-02" });

    const inProduction = await db.query<{ transaction_id: string }>(
      "SELECT transaction_id FROM production.transaction_items WHERE item_id = $1",
      [item],
    );
    assert.deepEqual(inProduction.map((r) => r.transaction_id), [to]);
    const facts = await db.query<{ transaction_id: string }>(
      "SELECT transaction_id FROM warehouse.fact_sales WHERE item_id = $1",
      [item],
    );
    assert.deepEqual(facts.map((r) => r.transaction_id), [to]);
    const [{ facts: factsAfter }] = await db.query<{ facts: number }>(
      "SELECT count(*)::int AS facts FROM warehouse.fact_sales",
    );
    assert.equal(factsAfter, factsBefore);
    const moves = await db.query(
      "SELECT transaction_id, item_id, to_transaction_id FROM production.item_moves",
    );
    assert.deepEqual(moves, [{
      transaction_id: from,
      item_id: item,
      to_transaction_id: to,
    }]);
    // The orders' facts follow the item: one line and its amount move.
    const after = await money();
    assert.equal(after[from].lines, before[from].lines - 1);
    assert.equal(after[to].lines, before[to].lines + 1);
    assert.equal(
      Math.round(after[from].revenue * 100),
      Math.round((before[from].revenue - lineTotal) * 100),
    );
    assert.equal(
      Math.round(after[to].revenue * 100),
      Math.round((before[to].revenue + lineTotal) * 100),
    );
    // Once: a run on the same files moves nothing more.
    await runTransform(config, db);
    await runWarehouse(config, db, { asOf: "2026-01-02" });
    assert.deepEqual(await money(), after);
    assert.equal(
      (await db.query("SELECT 1 FROM production.item_moves")).length,
      1,
    );
  },
);
