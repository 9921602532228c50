/**
 * The monitor on a real database: a healthy fixture reports healthy (exit
 * 0), and each constructed fault (stale layer, volume drop and spike,
 * quality drop, failed run, missing run) makes its check fire. An
 * unreachable database is reported as critical with exit 2, no stack trace
 * and no password. Webhook delivery against a local server: payload,
 * cooldown, recovery, webhook down.
 */
import assert from "node:assert/strict";
import type { Db } from "../lib/db.ts";
import { runPipeline } from "../tasks/pipeline.ts";
import { exitCode, runMonitor } from "../stages/monitor.ts";
import { type Alert, deliverAlerts } from "../lib/monitor/alerts.ts";
import {
  CORE_STEPS,
  dbTest,
  ROOT,
  runDeno,
  tempDir,
  testConfig,
} from "./helpers.ts";

const NOW = new Date("2025-12-31T10:00:00Z");
const LOADED = "2025-12-31T02:35:00Z";

/** Healthy state as of NOW: a run at 02:30, fresh layers, a steady weekly pattern. */
async function healthy(db: Db): Promise<void> {
  await db.exec(`
    UPDATE ops.pipeline_runs SET started_at = '2025-12-31T02:30:05Z',
      ended_at = '2025-12-31T02:34:00Z', status = 'success';
    UPDATE staging.transactions SET loaded_at = '${LOADED}';
    UPDATE production.transactions SET created_at = '${LOADED}', updated_at = '${LOADED}';
    UPDATE warehouse.fact_sales SET created_at = '${LOADED}';
    DELETE FROM ops.dq_runs;
    INSERT INTO ops.dq_runs (run_id, checked_at, overall_score, grade, passed)
    SELECT 'q' || i, TIMESTAMPTZ '2025-12-20' + i * interval '1 day', 97 + (i % 2), 'A', true
    FROM generate_series(1, 10) i;
    DELETE FROM warehouse.agg_daily_sales WHERE date_key >= 20251130;
    INSERT INTO warehouse.agg_daily_sales (date_key, total_transactions, total_revenue,
      total_profit, unique_customers, total_quantity)
    SELECT to_char(d, 'YYYYMMDD')::int, t, t * 50, t * 10, t, t * 2
    FROM generate_series(DATE '2025-11-30', DATE '2025-12-30', interval '1 day') d,
      LATERAL (SELECT CASE WHEN extract(isodow FROM d) >= 6 THEN 60 ELSE 100 END
        + (extract(day FROM d)::int % 3) - 1 AS t) x;
  `);
}

async function statuses(config: Parameters<typeof runMonitor>[0], db: Db) {
  const r = await runMonitor(config, { now: NOW, db });
  return {
    report: r,
    s: Object.fromEntries(
      Object.entries(r.checks).map(([k, v]) => [k, v.status]),
    ),
  };
}

dbTest(
  "healthy data is healthy; each constructed fault fires its check",
  async ({ config, open }) => {
    const base = await runPipeline(config, {
      steps: CORE_STEPS,
      asOf: "2025-12-31",
    });
    assert.equal(base.status, "success");
    const db = await open();
    try {
      await healthy(db);
      let { report, s } = await statuses(config, db);
      assert.deepEqual(s, {
        last_execution: "ok",
        data_freshness: "ok",
        data_volume_anomalies: "ok",
        data_quality: "ok",
        database_connectivity: "ok",
      }, JSON.stringify(report.alerts));
      assert.equal(report.pipeline_health, "healthy");
      assert.equal(report.overall_health_score, 100);
      assert.equal(exitCode(report), 0);
      assert.deepEqual(report.alerts, []);
      const [{ n }] = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM ops.monitoring_history",
      );
      assert.equal(n, 5, "one history row per check");

      // Volume: a tenth of a Tuesday, then ten times.
      await db.exec(
        "UPDATE warehouse.agg_daily_sales SET total_transactions = 10 WHERE date_key = 20251230",
      );
      ({ report, s } = await statuses(config, db));
      assert.equal(s.data_volume_anomalies, "critical");
      assert.equal(
        (report.checks.data_volume_anomalies.transactions as {
          direction: string;
        })
          .direction,
        "drop",
      );
      assert.equal(report.pipeline_health, "critical");
      assert.equal(exitCode(report), 2);
      assert.deepEqual(report.alerts.map((a) => [a.check, a.severity]), [[
        "data_volume_anomalies",
        "critical",
      ]]);
      await db.exec(
        "UPDATE warehouse.agg_daily_sales SET total_transactions = 1000 WHERE date_key = 20251230",
      );
      ({ report } = await statuses(config, db));
      assert.equal(
        (report.checks.data_volume_anomalies.transactions as {
          direction: string;
        })
          .direction,
        "spike",
      );
      await healthy(db);

      // Quality: a drop of more than 5 points warns (degraded, exit 1).
      await db.exec(
        `INSERT INTO ops.dq_runs (run_id, checked_at, overall_score, grade, passed)
         VALUES ('q-drop', '2025-12-31T02:31:00Z', 86, 'B', true)`,
      );
      ({ report, s } = await statuses(config, db));
      assert.equal(s.data_quality, "warning");
      assert.equal(report.pipeline_health, "degraded");
      assert.equal(exitCode(report), 1);
      assert.equal(report.overall_health_score, 90);
      await healthy(db);

      // A stale layer: staging loaded three days ago.
      await db.exec(
        "UPDATE staging.transactions SET loaded_at = '2025-12-28T02:35:00Z'",
      );
      ({ report, s } = await statuses(config, db));
      assert.equal(s.data_freshness, "critical");
      assert.match(
        report.checks.data_freshness.message,
        /staging 79\.42 h old/,
      );
      await healthy(db);

      // The last run failed.
      await db.exec(
        `INSERT INTO ops.pipeline_runs (run_id, started_at, status, steps, failed_step)
         VALUES ('r-failed', '2025-12-31T02:40:00Z', 'failed', '{ingest}', 'ingest')`,
      );
      ({ s } = await statuses(config, db));
      assert.equal(s.last_execution, "critical");
      await db.exec("DELETE FROM ops.pipeline_runs WHERE run_id = 'r-failed'");

      // The 02:30 run never happened: the last one was the day before.
      await db.exec(
        "UPDATE ops.pipeline_runs SET started_at = '2025-12-30T02:30:05Z'",
      );
      ({ report, s } = await statuses(config, db));
      assert.equal(s.last_execution, "critical");
      assert.match(report.checks.last_execution.message, /missing/);
    } finally {
      await db.close();
    }
  },
  { noDb: true, configOverrides: { generate: { scale: 0.1 } } },
);

Deno.test("an unreachable database is critical: exit 2, no stack trace, no password", async () => {
  const dir = await tempDir();
  const r = await runDeno([
    "run",
    "-A",
    "stages/monitor.ts",
    "--data-dir",
    `${dir}/data`,
    "--log-dir",
    `${dir}/logs`,
    "--database-url",
    "postgres://ecom:s3cret-pw@127.0.0.1:1/nowhere",
  ], { cwd: ROOT });
  assert.equal(r.code, 2, r.stderr);
  const out = r.stdout + r.stderr;
  assert.doesNotMatch(out, /s3cret-pw/);
  assert.doesNotMatch(out, /\n\s+at .*:\d+:\d+/);
  const report = JSON.parse(
    await Deno.readTextFile(`${dir}/data/processed/monitoring_report.json`),
  );
  assert.equal(report.pipeline_health, "critical");
  assert.equal(report.checks.database_connectivity.status, "critical");
  assert.match(report.checks.database_connectivity.message, /unreachable/);
  assert.doesNotMatch(JSON.stringify(report), /s3cret-pw/);
  assert.equal(report.overall_health_score, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("webhook: payload, cooldown, recovered message, and a webhook that is down", async () => {
  const received: Record<string, unknown>[] = [];
  let failing = false;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (req) => {
      if (failing) return new Response("down", { status: 503 });
      received.push(await req.json());
      return new Response("ok");
    },
  );
  const dir = await tempDir();
  try {
    const config = testConfig(dir, {
      monitor: {
        webhookUrl: `http://127.0.0.1:${server.addr.port}/hook`,
        alertCooldownMinutes: 60,
        webhookRetries: 1,
      },
    });
    const t0 = new Date("2026-01-05T03:00:00Z");
    const alert: Alert = {
      severity: "critical",
      check: "data_freshness",
      message: "staging 80 h old",
      timestamp: t0.toISOString(),
    };
    const ctx = (now: Date) => ({ health: "critical", score: 80, now });
    const statuses = { data_freshness: "critical", data_quality: "ok" };

    const first = await deliverAlerts(config, [alert], statuses, ctx(t0));
    assert.deepEqual(first.sent, ["data_freshness"]);
    assert.equal(received.length, 1);
    assert.equal(
      received[0].text,
      "ecom-pipeline is critical (health 80/100)\n• [critical] data_freshness: staging 80 h old",
    );
    assert.deepEqual(received[0].alerts, [alert]);

    // Within the cooldown: not resent.
    const again = await deliverAlerts(
      config,
      [alert],
      statuses,
      ctx(new Date(t0.getTime() + 30 * 60_000)),
    );
    assert.deepEqual(again.suppressed, ["data_freshness"]);
    assert.equal(received.length, 1);

    // After the cooldown: sent again.
    await deliverAlerts(
      config,
      [alert],
      statuses,
      ctx(new Date(t0.getTime() + 61 * 60_000)),
    );
    assert.equal(received.length, 2);

    // The check is ok again: one recovered message.
    const back = await deliverAlerts(config, [], {
      data_freshness: "ok",
    }, ctx(new Date(t0.getTime() + 62 * 60_000)));
    assert.deepEqual(back.recovered, ["data_freshness"]);
    assert.equal(received.length, 3);
    assert.match(received[2].text as string, /\[recovered\] data_freshness/);
    assert.deepEqual(
      (received[2].recovered as { check: string }[]).map((r) => r.check),
      ["data_freshness"],
    );

    // The webhook is down: reported, not thrown, and retried next time.
    failing = true;
    const down = await deliverAlerts(config, [alert], statuses, ctx(t0));
    assert.match(down.error!, /HTTP 503/);
    assert.deepEqual(down.sent, []);
    failing = false;
    const retry = await deliverAlerts(config, [alert], statuses, ctx(t0));
    assert.deepEqual(retry.sent, ["data_freshness"]);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
