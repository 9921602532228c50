/**
 * Numbers users can believe, part one: re-runs change nothing (rejects
 * included), a truncated export is refused instead of wiping a dimension,
 * and quality on an empty staging fails. Dates and optional values:
 * trust_values_test.ts; the monitor: trust_monitor_test.ts.
 */
import assert from "node:assert/strict";
import { csvLine } from "../lib/synth/csv_writer.ts";
import { CONTRACT_COLUMNS, TABLES } from "../lib/contract.ts";
import type { Db } from "../lib/db.ts";
import { runPipeline } from "../tasks/pipeline.ts";
import { runIngest } from "../stages/ingest.ts";
import { runQuality } from "../stages/quality.ts";
import { runTransform } from "../stages/transform.ts";
import { CORE_STEPS, dbTest } from "./helpers.ts";

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
