/**
 * Scheduler: cron validation and next runs, the days a tick processes
 * (catch-up), the lock (refused while held, stale lock taken over), and
 * ticks end to end with cleanup and an activity log.
 */
import assert from "node:assert/strict";
import { daysDue, parseSchedule, tick } from "../tasks/schedule.ts";
import { processedDays, runDays } from "../tasks/backfill.ts";
import {
  acquireAdvisoryLock,
  acquireFileLock,
  LockedError,
  pipelineLockPath,
} from "../lib/lock.ts";
import { PipelineError } from "../lib/errors.ts";
import {
  CORE_STEPS,
  dbTest,
  ROOT,
  runDeno,
  tempDir,
  testConfig,
} from "./helpers.ts";

Deno.test("cron expressions are validated and the next runs are in UTC", () => {
  const cron = parseSchedule("30 2 * * *");
  assert.deepEqual(
    cron.nextRuns(2, new Date("2026-01-05T03:00:00Z")).map((d) =>
      d.toISOString()
    ),
    ["2026-01-06T02:30:00.000Z", "2026-01-07T02:30:00.000Z"],
  );
  for (const bad of ["61 2 * * *", "every day", "0 0 2 * * *"]) {
    assert.throws(
      () => parseSchedule(bad),
      (e) =>
        e instanceof PipelineError && e.code === "USAGE" &&
        e.message.includes(`"${bad}"`),
      bad,
    );
  }
});

Deno.test("a tick processes the missed days oldest first, up to the limit", async () => {
  const dir = await tempDir();
  const config = testConfig(dir, { schedule: { catchUpLimit: 2 } });
  const now = new Date("2026-01-05T03:00:00Z");
  assert.deepEqual(daysDue(config, now, []), {
    due: "2026-01-04",
    days: ["2026-01-04"],
    missed: 1,
  });
  assert.deepEqual(daysDue(config, now, ["2026-01-01"]), {
    due: "2026-01-04",
    days: ["2026-01-02", "2026-01-03"],
    missed: 3,
  });
  assert.deepEqual(daysDue(config, now, ["2026-01-01", "2026-01-04"]), {
    due: "2026-01-04",
    days: [],
    missed: 0,
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a held lock refuses a second holder; a dead holder's lock is taken over", async () => {
  const dir = await tempDir();
  const path = `${dir}/pipeline.lock`;
  const lock = await acquireFileLock(path, "first");
  const holder = JSON.parse(await Deno.readTextFile(path));
  assert.equal(holder.pid, Deno.pid);
  assert.equal(holder.purpose, "first");
  await assert.rejects(
    () => acquireFileLock(path, "second"),
    (e) => e instanceof LockedError && e.holder?.pid === Deno.pid,
  );
  await lock.release();
  await assert.rejects(() => Deno.stat(path), Deno.errors.NotFound);

  // A process that has exited: its lock is stale.
  const child = new Deno.Command("true").spawn();
  await child.status;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      pid: child.pid,
      host: Deno.hostname(),
      started_at: new Date().toISOString(),
      purpose: "crashed run",
    }),
  );
  const taken = await acquireFileLock(path, "after crash");
  assert.equal(
    JSON.parse(await Deno.readTextFile(path)).purpose,
    "after crash",
  );
  await taken.release();
  await Deno.remove(dir, { recursive: true });
});

const QUICK = CORE_STEPS;

dbTest(
  "ticks catch up missed days, skip while another run holds the lock, clean up, log it all",
  async ({ config }) => {
    const cfg = {
      ...config,
      schedule: { ...config.schedule, catchUpLimit: 2 },
    };
    const first = await runDays(cfg, { date: "2026-01-01", steps: QUICK });
    assert.equal(first.status, "success");
    const now = new Date("2026-01-05T03:00:00Z");

    const caught = await tick(cfg, { now, steps: QUICK });
    assert.deepEqual(caught, {
      status: "success",
      days: ["2026-01-02", "2026-01-03"],
    });

    const held = await acquireFileLock(pipelineLockPath(cfg), "manual run");
    const skipped = await tick(cfg, { now, steps: QUICK });
    assert.equal(skipped.status, "skipped");
    assert.match(skipped.reason!, /manual run/);
    await held.release();

    assert.deepEqual(await tick(cfg, { now, steps: QUICK }), {
      status: "success",
      days: ["2026-01-04"],
    });
    assert.deepEqual(await tick(cfg, { now, steps: QUICK }), {
      status: "skipped",
      days: [],
      reason: "already processed",
    });
    const { openDb } = await import("../lib/db.ts");
    const db = await openDb(cfg);
    assert.deepEqual(await processedDays(db), [
      "2026-01-01",
      "2026-01-02",
      "2026-01-03",
      "2026-01-04",
    ]);
    await db.close();

    const log = (await Deno.readTextFile(
      `${cfg.logDir}/scheduler_activity.log`,
    )).trim().split("\n").map((l) => l.split(/\s+/)[1]);
    assert.deepEqual(log, [
      "catch-up",
      "run",
      "success",
      "cleanup",
      "health",
      "skip",
      "run",
      "success",
      "cleanup",
      "health",
      "skip",
    ]);
  },
  { noDb: true, configOverrides: { generate: { scale: 0.1 } } },
);

Deno.test("schedule --once runs the day due end to end; --status lists it; a bad cron exits 2", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(
    `${dir}/cfg.json`,
    JSON.stringify({ generate: { scale: 0.1 } }),
  );
  const common = [
    "--data-dir",
    `${dir}/data`,
    "--log-dir",
    `${dir}/logs`,
    "--config",
    `${dir}/cfg.json`,
  ];
  const once = await runDeno(
    ["run", "--unstable-cron", "-A", "tasks/schedule.ts", "--once", ...common],
    { cwd: ROOT },
  );
  assert.equal(once.code, 0, once.stderr);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(
    0,
    10,
  );
  const status = await runDeno(
    [
      "run",
      "--unstable-cron",
      "-A",
      "tasks/schedule.ts",
      "--status",
      ...common,
    ],
    { cwd: ROOT },
  );
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`daily ${yesterday} success`));
  assert.match(status.stdout, /full\s+success/);
  assert.match(
    status.stdout,
    /next runs:\n {2}\d{4}-\d{2}-\d{2}T02:30:00.000Z/,
  );
  const bad = await runDeno(
    [
      "run",
      "--unstable-cron",
      "-A",
      "tasks/schedule.ts",
      "--once",
      "--cron",
      "99 * * * *",
      ...common,
    ],
    { cwd: ROOT },
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid cron expression "99 \* \* \* \*"/);
  assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/);
  await Deno.remove(dir, { recursive: true });
});

dbTest(
  "on a server, a second run is refused by the advisory lock until the first ends",
  async ({ config }) => {
    const first = await acquireAdvisoryLock(config);
    assert.ok(first, "held on the server");
    await assert.rejects(
      () => acquireAdvisoryLock(config),
      (e) =>
        e instanceof PipelineError && e.code === "LOCKED" &&
        /advisory lock/.test(e.message),
    );
    await first.release();
    const again = await acquireAdvisoryLock(config);
    assert.ok(again, "free again after release");
    await again.release();
  },
  { only: "server", noDb: true },
);
