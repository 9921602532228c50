/**
 * The reporting layer: the bi views show the warehouse's figures under
 * friendly names, and the reporting role reads them and nothing else.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { runPipeline } from "../tasks/pipeline.ts";
import { CORE_STEPS, dbTest } from "./helpers.ts";

const NO_ANALYTICS = CORE_STEPS;

dbTest(
  "the bi views carry the warehouse's figures under friendly names",
  async ({ config, open }) => {
    const r = await runPipeline(config, { steps: NO_ANALYTICS });
    assert.equal(r.status, "success");
    const db = await open();
    try {
      const [w] = await db.query(
        `SELECT count(*)::int AS n, sum(line_total) AS revenue, sum(profit) AS profit
         FROM warehouse.fact_sales`,
      );
      const [b] = await db.query(
        `SELECT count(*)::int AS n, sum("Revenue") AS revenue, sum("Profit") AS profit
         FROM bi.sales`,
      );
      assert.deepEqual(b, w);
      const columns = await db.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns
         WHERE table_schema = 'bi' AND table_name = 'customer' ORDER BY ordinal_position`,
      );
      assert.ok(columns.some((c) => c.column_name === "Customer Name"));
      assert.ok(
        !columns.some((c) => /mail/i.test(c.column_name)),
        "no email in reports",
      );
      const [{ n }] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM bi.calendar c
         JOIN warehouse.dim_date d ON d.date_key = c."Date Key"
         WHERE c."Weekday Number" = extract(isodow FROM d.full_date)`,
      );
      const [{ days }] = await db.query<{ days: number }>(
        "SELECT count(*)::int AS days FROM warehouse.dim_date",
      );
      assert.equal(n, days);
    } finally {
      await db.close();
    }
  },
  { noDb: true, configOverrides: { generate: { scale: 0.1 } } },
);

dbTest(
  "the reporting role reads bi and nothing else",
  async ({ config, open }) => {
    const role = `bi_reader_t${crypto.randomUUID().slice(0, 8)}`;
    const password = "reader-pass-123";
    const cfg = {
      ...config,
      bi: { ...config.bi, readerRole: role, readerPassword: password },
    };
    const r = await runPipeline(cfg, { steps: NO_ANALYTICS });
    assert.equal(r.status, "success");
    // Idempotent: a second warehouse run keeps the role and its grants.
    const again = await runPipeline(cfg, { only: "warehouse" });
    assert.equal(again.status, "success");
    const url = new URL(cfg.databaseUrl!);
    url.username = role;
    url.password = password;
    const reader = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      const [{ n }] = await reader.unsafe(
        `SELECT count(*)::int AS n FROM bi.sales`,
      );
      assert.ok(n > 0);
      // On Citus the reader also reads the warehouse behind bi (Citus runs
      // the views' queries on the shards as the reader); never the rest.
      const db = await open();
      const [{ citus }] = await db.query<{ citus: boolean }>(
        "SELECT util.is_distributed('warehouse.fact_sales') AS citus",
      );
      await db.close();
      if (citus) {
        const [{ m }] = await reader.unsafe(
          "SELECT count(*)::int AS m FROM warehouse.fact_sales",
        );
        assert.equal(m, n);
      }
      for (
        const sql of [
          ...(citus ? [] : ["SELECT 1 FROM warehouse.fact_sales LIMIT 1"]),
          "SELECT 1 FROM production.customers LIMIT 1",
          "SELECT 1 FROM staging.customers LIMIT 1",
          "SELECT 1 FROM ops.pipeline_runs LIMIT 1",
          `INSERT INTO bi.payment_method ("Payment Method", "Payment Type") VALUES ('x', 'y')`,
          `UPDATE bi.customer SET "City" = 'x'`,
          "CREATE TABLE bi.mine (x int)",
        ]
      ) {
        await assert.rejects(
          () => reader.unsafe(sql),
          // Citus refuses writes through a view over its tables before it
          // checks privileges (feature_not_supported).
          (e: { code?: string }) =>
            e.code === "42501" || (citus && e.code === "0A000"),
          sql,
        );
      }
    } finally {
      await reader.end();
      const db = await open();
      await db.exec(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
      await db.close();
    }
  },
  { noDb: true, only: "server", configOverrides: { generate: { scale: 0.1 } } },
);
