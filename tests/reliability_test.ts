/**
 * The reliability suite: what an operator does to a pipeline at 3 a.m.,
 * done for real, in subprocesses, on both backends. kill -9 inside every
 * step's open transaction and a plain re-run; SIGINT/SIGTERM and --resume; a
 * dead holder's lock; a stage started beside a running pipeline; the
 * launcher killed under its task; a PostgreSQL restart mid-step; a server
 * that stays away. Each case compares the warehouse with a clean run's,
 * table by table, to the row and the cent. Hostile inputs:
 * reliability_input_test.ts.
 */
import assert from "node:assert/strict";
import { acquireFileLock, pipelineLockPath } from "../lib/lock.ts";
import { openDb } from "../lib/db.ts";
import { SERVER_URL, tempDir } from "./helpers.ts";
import { generateShop } from "../lib/synth/shop.ts";
import {
  backendTest,
  fingerprint,
  freshTarget,
  KILL_STEPS,
  pipelineArgs,
  runStatuses,
  spawn,
} from "./reliability_helpers.ts";

/** One generated data set for the whole file (default defects, small). */
const RAW = await (async () => {
  const dir = await tempDir("ecom-rel-raw-");
  await generateShop({
    seed: 21,
    scale: 0.2,
    startDate: "2025-01-01",
    endDate: "2025-12-31",
    defectRate: 0.02,
    outDir: dir,
  });
  return dir;
})();

const clean: Partial<Record<string, Awaited<ReturnType<typeof fingerprint>>>> =
  {};

/** The warehouse a clean, uninterrupted run builds from RAW. */
async function cleanFingerprint(backend: "embedded" | "server") {
  if (clean[backend]) return clean[backend]!;
  const t = await freshTarget(backend);
  try {
    const run = await spawn(pipelineArgs(RAW, t.flags)).done();
    assert.equal(run.code, 0, run.output);
    // Quiet success: the generator's expected findings are one line per
    // table, and a healthy run prints no warning at all.
    assert.doesNotMatch(run.output, /WARNING|ERROR/);
    assert.equal(
      run.output.match(
        /\[quality\] \w+: \d+ rows with findings within thresholds/g,
      )
        ?.length,
      4,
    );
    assert.match(run.output, /\[pipeline\] health: healthy/);
    clean[backend] = await fingerprint(t.config);
    assert.ok(clean[backend]!.rows["warehouse.fact_sales"] > 5000);
    return clean[backend]!;
  } finally {
    await t.drop();
  }
}

backendTest(
  "kill -9 inside each step's transaction, then a plain re-run, builds the clean run's warehouse",
  async (backend) => {
    const expected = await cleanFingerprint(backend);
    for (const step of KILL_STEPS) {
      const t = await freshTarget(backend);
      try {
        const killed = spawn(pipelineArgs(RAW, t.flags), {
          ECOM_FAULT_PAUSE: step,
        });
        await killed.seen(`fault point ${step} reached`);
        killed.child.kill("SIGKILL");
        const k = await killed.done();
        assert.equal(k.signal, "SIGKILL", step);
        if (step === "analytics") {
          // Killed with the first export written but not yet in place: no
          // export is half there.
          const dir = `${t.config.dataDir}/processed/analytics`;
          const names = [...Deno.readDirSync(dir)].map((e) => e.name);
          assert.deepEqual(names.filter((n) => n.endsWith(".csv")), []);
          assert.equal(names.filter((n) => n.includes(".tmp-")).length, 1);
        }
        const rerun = await spawn(pipelineArgs(RAW, t.flags)).done();
        assert.equal(rerun.code, 0, `${step}: ${rerun.output}`);
        assert.match(rerun.output, /marked crashed/, step);
        assert.deepEqual(await fingerprint(t.config), expected, step);
        assert.deepEqual(await runStatuses(t.config), ["crashed", "success"]);
      } finally {
        await t.drop();
      }
    }
  },
);

backendTest(
  "SIGINT or SIGTERM stops at a safe point, records the run interrupted, and --resume completes it",
  async (backend) => {
    const expected = await cleanFingerprint(backend);
    const signal = backend === "embedded" ? "SIGINT" : "SIGTERM";
    const t = await freshTarget(backend);
    try {
      const run = spawn(pipelineArgs(RAW, t.flags), {
        ECOM_FAULT_PAUSE: "warehouse:1500",
      });
      await run.seen("fault point warehouse reached");
      run.child.kill(signal);
      const r = await run.done();
      assert.equal(r.code, signal === "SIGINT" ? 130 : 143, r.output);
      assert.match(r.output, new RegExp(`interrupted by ${signal}`));
      const report = JSON.parse(
        await Deno.readTextFile(
          `${t.config.dataDir}/processed/pipeline_execution_report.json`,
        ),
      );
      assert.equal(report.status, "interrupted");
      assert.equal(report.steps_executed.transform.status, "success");
      assert.equal(report.steps_executed.warehouse.status, "interrupted");
      assert.equal(report.steps_executed.analytics.status, "not_run");
      assert.deepEqual(await runStatuses(t.config), ["interrupted"]);
      // The lock went with the process.
      assert.equal(
        await Deno.stat(pipelineLockPath(t.config)).then(() => 1, () => 0),
        0,
      );
      const resumed = await spawn(["pipeline", "--resume", ...t.flags]).done();
      assert.equal(resumed.code, 0, resumed.output);
      assert.match(
        resumed.output,
        /resuming the last interrupted run at step warehouse/,
      );
      assert.deepEqual(await fingerprint(t.config), expected);
      assert.deepEqual(await runStatuses(t.config), ["interrupted", "success"]);
    } finally {
      await t.drop();
    }
  },
);

backendTest(
  "locks: a dead holder never blocks; a live one is named, waited for with --wait, and a stage beside a pipeline is refused",
  async (backend) => {
    const expected = await cleanFingerprint(backend);
    const t = await freshTarget(backend);
    try {
      // A lock file left by a process that died.
      await Deno.mkdir(t.config.dataDir, { recursive: true });
      await Deno.writeTextFile(
        pipelineLockPath(t.config),
        JSON.stringify({
          pid: 999999,
          host: Deno.hostname(),
          started_at: "2026-01-01T00:00:00Z",
          purpose: "pipeline",
        }),
      );
      const first = await spawn(pipelineArgs(RAW, t.flags)).done();
      assert.equal(first.code, 0, first.output);
      assert.match(first.output, /pid 999999 .* did not release it/);

      // A live holder: refused at once, naming it; --wait queues behind it.
      const held = await acquireFileLock(pipelineLockPath(t.config), "test");
      const refused = await spawn(["analytics", ...t.flags]).done();
      assert.equal(refused.code, 1);
      assert.match(
        refused.output,
        new RegExp(
          `another run holds .*pipeline\\.lock: pid ${Deno.pid} .*\\(test\\)`,
        ),
      );
      const waiting = spawn(["analytics", "--wait", "30", ...t.flags]);
      await waiting.seen("waiting up to 30 s");
      await held.release();
      const waited = await waiting.done();
      assert.equal(waited.code, 0, waited.output);

      // A stage started while a pipeline is inside transform.
      const pipeline = spawn(pipelineArgs(RAW, t.flags), {
        ECOM_FAULT_PAUSE: "transform",
      });
      await pipeline.seen("fault point transform reached");
      const pid = JSON.parse(
        await Deno.readTextFile(pipelineLockPath(t.config)),
      ).pid;
      for (const stage of ["transform", "analytics", "ingest"]) {
        const beside = await spawn([stage, ...t.flags]).done();
        assert.equal(beside.code, 1, `${stage}: ${beside.output}`);
        assert.match(beside.output, new RegExp(`pid ${pid} .*\\(pipeline\\)`));
      }
      if (backend === "embedded") {
        // Even code that skips the pipeline lock cannot open the database.
        await assert.rejects(
          () => openDb(t.config),
          /open in another process \(pid \d+/,
        );
      }
      pipeline.child.kill("SIGKILL");
      await pipeline.done();
      const rerun = await spawn(pipelineArgs(RAW, t.flags)).done();
      assert.equal(rerun.code, 0, rerun.output);
      assert.deepEqual(await fingerprint(t.config), expected);
    } finally {
      await t.drop();
    }
  },
);

backendTest(
  "the launcher killed with -9 takes its task with it",
  async (backend) => {
    const t = await freshTarget(backend);
    try {
      // Paused for 3 s inside transform: the orphan stops at the statement
      // after the pause (a statement in flight is never cut).
      const run = spawn(pipelineArgs(RAW, t.flags), {
        ECOM_FAULT_PAUSE: "transform:3000",
      }, true);
      await run.seen("fault point transform reached");
      const taskPid = JSON.parse(
        await Deno.readTextFile(pipelineLockPath(t.config)),
      ).pid;
      assert.notEqual(taskPid, run.child.pid);
      run.child.kill("SIGKILL");
      await run.done();
      // The orphaned task stops by itself within a few seconds.
      const gone = await (async () => {
        for (let i = 0; i < 40; i++) {
          if (
            !(await Deno.stat(`/proc/${taskPid}`).then(() => true, () => false))
          ) {
            return true;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
        return false;
      })();
      assert.ok(gone, `task ${taskPid} still running after its launcher died`);
    } finally {
      await t.drop();
    }
  },
);

/** The local cluster (version, name) serving the test server's port. */
function pgCluster(): string[] {
  const port = new URL(SERVER_URL!).port || "5432";
  const out = new Deno.Command("pg_lsclusters", { args: ["-h"] }).outputSync();
  const line = new TextDecoder().decode(out.stdout).split("\n")
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[2] === port);
  assert.ok(line, `no local PostgreSQL cluster listens on port ${port}`);
  return [line[0], line[1]];
}

async function restartServer(): Promise<void> {
  const out = await new Deno.Command("pg_ctlcluster", {
    args: ["--skip-systemctl-redirect", ...pgCluster(), "restart"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

backendTest(
  "a PostgreSQL restart in the middle of a step is retried on a fresh connection and the run completes",
  async () => {
    const expected = await cleanFingerprint("server");
    for (const step of ["transform", "warehouse"]) {
      const t = await freshTarget("server");
      try {
        const run = spawn(pipelineArgs(RAW, t.flags), {
          ECOM_FAULT_PAUSE: `${step}:2000`,
        });
        await run.seen(`fault point ${step} reached`);
        await restartServer();
        const r = await run.done();
        assert.equal(r.code, 0, r.output);
        assert.doesNotMatch(r.output, /TypeError|\n\s+at /);
        const report = JSON.parse(
          await Deno.readTextFile(
            `${t.config.dataDir}/processed/pipeline_execution_report.json`,
          ),
        );
        assert.ok(report.steps_executed[step].retry_attempts >= 1, r.output);
        assert.match(r.output, /advisory lock held again/);
        assert.deepEqual(await fingerprint(t.config), expected);
      } finally {
        await t.drop();
      }
    }
  },
  "server",
);

Deno.test("a server that stays away fails the run with one line naming it, no stack trace", async () => {
  const dir = await tempDir("ecom-rel-");
  try {
    await Deno.writeTextFile(
      `${dir}/c.json`,
      JSON.stringify({
        pipeline: { retry: { maxAttempts: 2, baseDelayMs: 10 } },
      }),
    );
    const r = await spawn([
      "pipeline",
      "--skip-generate",
      "--config",
      `${dir}/c.json`,
      "--data-dir",
      `${dir}/data`,
      "--log-dir",
      `${dir}/logs`,
      "--database-url",
      "postgres://app:s3cret@127.0.0.1:1/shop",
    ]).done();
    assert.equal(r.code, 1);
    assert.match(
      r.output,
      /Cannot connect to PostgreSQL postgres:\/\/app:\*\*\*\*@127\.0\.0\.1:1\/shop/,
    );
    assert.doesNotMatch(r.output, /s3cret/);
    assert.doesNotMatch(r.output, /\n\s+at /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
