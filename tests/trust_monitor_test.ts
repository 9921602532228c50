/**
 * Numbers users can believe, part three: the monitor is quiet on healthy
 * data and fires on real faults; a fresh machine skips the server tests and
 * says how to run them.
 */
import assert from "node:assert/strict";
import { runPipeline } from "../tasks/pipeline.ts";
import { exitCode, runMonitor } from "../stages/monitor.ts";
import { CORE_STEPS, dbTest, ROOT } from "./helpers.ts";

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
