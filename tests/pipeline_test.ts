/**
 * Orchestrator: transient errors are retried with growing, capped delays;
 * data errors fail at once and stop the run; a failed run resumes at its
 * failed step; the report and the run history say what happened.
 */
import assert from "node:assert/strict";
import {
  backoffDelay,
  isTransient,
  type RetryPolicy,
  withRetry,
} from "../lib/retry.ts";
import { PipelineError } from "../lib/errors.ts";
import {
  runPipeline,
  selectSteps,
  type Step,
  STEPS,
} from "../tasks/pipeline.ts";
import { openDb } from "../lib/db.ts";
import { dbTest } from "./helpers.ts";

const policy: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 100,
  factor: 2,
  maxDelayMs: 500,
  jitter: 0,
};

Deno.test("backoff grows by the factor and stops at the maximum; jitter stays within its share", () => {
  assert.deepEqual([1, 2, 3, 4, 5].map((r) => backoffDelay(r, policy)), [
    100,
    200,
    400,
    500,
    500,
  ]);
  const jittery = { ...policy, jitter: 0.5 };
  assert.equal(backoffDelay(2, jittery, 0), 100);
  assert.equal(backoffDelay(2, jittery, 1), 200);
});

Deno.test("only transient errors are retried", async () => {
  const conn = Object.assign(new Error("read ECONNRESET"), {
    code: "ECONNRESET",
  });
  assert.equal(isTransient(conn), true);
  assert.equal(
    isTransient({ code: "40P01", message: "deadlock detected" }),
    true,
  );
  assert.equal(
    isTransient({ code: "53300", message: "too many connections" }),
    true,
  );
  assert.equal(isTransient({ code: "23505", message: "duplicate key" }), false);
  assert.equal(isTransient(new PipelineError("QUALITY_GATE", "gate")), false);
  assert.equal(isTransient(new PipelineError("CSV_MALFORMED", "bad")), false);

  const delays: number[] = [];
  let calls = 0;
  const ok = await withRetry(
    () => {
      if (++calls === 1) throw conn;
      return Promise.resolve("done");
    },
    policy,
    {
      sleep: () => Promise.resolve(),
      onRetry: (_e, _r, d) => void delays.push(d),
    },
  );
  assert.deepEqual(ok, { value: "done", retries: 1 });
  assert.deepEqual(delays, [100]);

  calls = 0;
  await assert.rejects(
    withRetry(
      () => {
        calls++;
        throw { code: "23505", message: "duplicate key" };
      },
      policy,
      { sleep: () => Promise.resolve() },
    ),
    (e: { retries: number }) => e.retries === 0,
  );
  assert.equal(calls, 1, "a constraint error is not retried");

  calls = 0;
  await assert.rejects(
    withRetry(
      () => {
        calls++;
        throw conn;
      },
      policy,
      { sleep: () => Promise.resolve() },
    ),
    (e: { retries: number }) => e.retries === 3,
  );
  assert.equal(calls, 4, "gives up after maxAttempts");
});

Deno.test("--from, --to and --only pick steps; unknown names are refused", () => {
  const names = (o: Parameters<typeof selectSteps>[1]) =>
    selectSteps(STEPS, o).map((s) => s.name);
  assert.deepEqual(names({ from: "quality", to: "warehouse" }), [
    "quality",
    "transform",
    "warehouse",
  ]);
  assert.deepEqual(names({ only: "analytics" }), ["analytics"]);
  assert.deepEqual(names({ skipGenerate: true }), [
    "ingest",
    "quality",
    "transform",
    "warehouse",
    "analytics",
    "dashboard",
  ]);
  assert.throws(() => names({ from: "nope" }), /--from nope: no such step/);
});

function fakeSteps(state: { flaky: number; broken: boolean }): Step[] {
  return [
    { name: "first", run: () => Promise.resolve({ rows: 5, summary: "" }) },
    {
      name: "flaky",
      run: () => {
        if (state.flaky-- > 0) {
          throw Object.assign(new Error("connection reset"), {
            code: "ECONNRESET",
          });
        }
        return Promise.resolve({ rows: 7, summary: "" });
      },
    },
    {
      name: "strict",
      run: () => {
        if (state.broken) {
          throw Object.assign(new Error("duplicate key value"), {
            code: "23505",
          });
        }
        return Promise.resolve({ rows: 11, summary: "" });
      },
    },
    { name: "last", run: () => Promise.resolve({ rows: 13, summary: "" }) },
  ];
}

dbTest(
  "retries, stops at a data error, resumes at the failed step",
  async ({ config }) => {
    const state = { flaky: 1, broken: true };
    const sleep = () => Promise.resolve();
    const failed = await runPipeline(config, {
      steps: fakeSteps(state),
      sleep,
    });
    assert.equal(failed.status, "failed");
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(failed.steps_executed).map((
          [k, v],
        ) => [k, [v.status, v.records_processed, v.retry_attempts]]),
      ),
      {
        first: ["success", 5, 0],
        flaky: ["success", 7, 1],
        strict: ["failed", 0, 0],
        last: ["not_run", 0, 0],
      },
    );
    assert.deepEqual(failed.errors, [{
      step: "strict",
      message: "duplicate key value",
    }]);
    const onDisk = JSON.parse(
      await Deno.readTextFile(
        `${config.dataDir}/processed/pipeline_execution_report.json`,
      ),
    );
    for (
      const key of [
        "pipeline_execution_id",
        "start_time",
        "end_time",
        "total_duration_seconds",
        "status",
        "steps_executed",
        "errors",
        "warnings",
      ]
    ) {
      assert.ok(key in onDisk, key);
    }
    assert.equal(onDisk.pipeline_execution_id, failed.pipeline_execution_id);

    state.broken = false;
    const resumed = await runPipeline(config, {
      steps: fakeSteps(state),
      sleep,
      resume: true,
    });
    assert.equal(resumed.status, "success");
    assert.equal(resumed.resumed_from, "strict");
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(resumed.steps_executed).map(([k, v]) => [k, v.status]),
      ),
      {
        first: "skipped",
        flaky: "skipped",
        strict: "success",
        last: "success",
      },
    );
    await assert.rejects(
      runPipeline(config, { steps: fakeSteps(state), sleep, resume: true }),
      /no failed, interrupted or crashed run to resume/,
    );

    const db = await openDb(config);
    try {
      const runs = await db.query<
        { status: string; failed_step: string | null }
      >(
        `SELECT status, failed_step FROM ops.pipeline_runs ORDER BY started_at`,
      );
      assert.deepEqual(runs, [{ status: "failed", failed_step: "strict" }, {
        status: "success",
        failed_step: null,
      }]);
      const steps = await db.query<
        { step: string; status: string; retry_attempts: number }
      >(
        `SELECT s.step, s.status, s.retry_attempts FROM ops.step_runs s JOIN ops.pipeline_runs r USING (run_id)
       ORDER BY r.started_at, s.position`,
      );
      assert.deepEqual(
        steps.map((s) => `${s.step}:${s.status}:${s.retry_attempts}`),
        [
          "first:success:0",
          "flaky:success:1",
          "strict:failed:0",
          "strict:success:0",
          "last:success:0",
        ],
      );
    } finally {
      await db.close();
    }
  },
  { noDb: true },
);

dbTest(
  "the whole pipeline runs end to end and reports every step",
  async ({ config }) => {
    const small = { ...config, generate: { ...config.generate, scale: 0.1 } };
    const report = await runPipeline(small);
    assert.equal(report.status, "success", JSON.stringify(report.errors));
    for (const s of STEPS) {
      const e = report.steps_executed[s.name];
      assert.equal(e.status, "success", s.name);
      assert.ok(e.records_processed > 0, `${s.name} records_processed`);
    }
    const archived = JSON.parse(
      await Deno.readTextFile(
        `${config.dataDir}/processed/archive/${report.pipeline_execution_id}/pipeline_execution_report.json`,
      ),
    );
    assert.equal(archived.status, "success", "each run's reports are archived");
    assert.ok(
      report.warnings.some((w) => w.startsWith("quality: ")),
      "quality warnings surface in the report",
    );
  },
  { noDb: true },
);
