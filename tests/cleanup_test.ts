/**
 * Cleanup: retention by age, the newest N kept, the last successful run's
 * archive kept, dry runs delete nothing, and links never lead outside.
 */
import assert from "node:assert/strict";
import { runCleanup } from "../stages/cleanup.ts";
import { ROOT, runDeno, tempDir, testConfig } from "./helpers.ts";

const DAY = 86_400_000;
const NOW = new Date("2026-11-25T12:00:00Z");

async function aged(path: string, days: number, content = "x".repeat(1000)) {
  const dir = path.slice(0, path.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, content);
  const t = new Date(NOW.getTime() - days * DAY);
  await Deno.utime(path, t, t);
}

async function agedDir(
  dir: string,
  days: number,
  files: Record<string, string> = { "a.csv": "1,2\n" },
) {
  await Deno.mkdir(dir, { recursive: true });
  for (const [f, c] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${f}`, c);
  }
  const t = new Date(NOW.getTime() - days * DAY);
  await Deno.utime(dir, t, t);
}

const exists = (p: string) => Deno.lstat(p).then(() => true, () => false);

Deno.test("old raw folders, archives and logs go; the newest N and the last good run stay", async () => {
  const dir = await tempDir();
  const config = testConfig(dir);
  const raw = `${config.dataDir}/raw`;
  const archive = `${config.dataDir}/processed/archive`;
  for (let d = 1; d <= 6; d++) {
    await agedDir(
      `${raw}/2026-11-${String(25 - d * 3).padStart(2, "0")}`,
      d * 3,
    );
  }
  // Six archives, 2..22 days old; the oldest is the last successful run.
  for (let i = 0; i < 6; i++) {
    const status = i === 5 ? "success" : "failed";
    await agedDir(`${archive}/run${i}`, 2 + i * 4, {
      "pipeline_execution_report.json": JSON.stringify({
        status,
        start_time: `2026-11-0${i}T00:00:00Z`,
      }),
    });
  }
  for (let i = 0; i < 5; i++) {
    await aged(`${config.logDir}/old${i}.jsonl`, 10 + i);
  }
  await aged(`${config.logDir}/ecom.jsonl`, 0);
  await aged(`${raw}/customers.csv`, 30); // not a dated folder: never touched

  const dry = await runCleanup(config, { dryRun: true, now: NOW });
  assert.ok(dry.deleted.length > 0);
  for (const c of dry.deleted) {
    assert.ok(await exists(c.path), `dry run kept ${c.path}`);
  }

  const result = await runCleanup(config, { now: NOW });
  assert.deepEqual(
    dry.deleted.map((c) => c.path).sort(),
    result.deleted.map((c) => c.path).sort(),
  );
  const left = async (d: string) =>
    (await Array.fromAsync(Deno.readDir(d))).map((e) => e.name).sort();
  // Raw folders 3..18 days old: 3 and 6 are young, 9 is the third newest; 12, 15, 18 go.
  assert.deepEqual(await left(raw), [
    "2026-11-16",
    "2026-11-19",
    "2026-11-22",
    "customers.csv",
  ]);
  // Archives 2..22 days old: 2 and 6 are young, 10 is third newest, run5 (22 days) is the last success.
  assert.deepEqual(await left(archive), ["run0", "run1", "run2", "run5"]);
  // Logs: the newest 3 stay (the active log is one of them).
  assert.deepEqual(await left(config.logDir), [
    "ecom.jsonl",
    "old0.jsonl",
    "old1.jsonl",
  ]);
  assert.equal(
    result.bytesFreed,
    result.deleted.reduce((a, c) => a + c.bytes, 0),
  );
  assert.ok(result.bytesFreed > 2000);
});

Deno.test("a link pointing outside is never followed nor deleted", async () => {
  const dir = await tempDir();
  const outside = await tempDir("ecom-outside-");
  await Deno.writeTextFile(`${outside}/precious.txt`, "keep me");
  const config = testConfig(dir, {
    cleanup: { retentionDays: 0, keepNewest: 0 },
  });
  const archive = `${config.dataDir}/processed/archive`;
  await agedDir(`${archive}/old`, 30);
  await Deno.symlink(outside, `${archive}/evil`);
  await agedDir(`${config.dataDir}/raw/2026-01-01`, 30);
  await Deno.symlink(outside, `${config.dataDir}/raw/2026-01-01/inside-link`);
  const old = new Date(NOW.getTime() - 30 * DAY);
  await Deno.utime(`${config.dataDir}/raw/2026-01-01`, old, old);
  const result = await runCleanup(config, { now: NOW });
  assert.ok(result.refused.includes(`${archive}/evil`));
  assert.equal(await Deno.readTextFile(`${outside}/precious.txt`), "keep me");
  assert.ok(await exists(`${archive}/evil`), "the link itself is left alone");
  assert.ok(!(await exists(`${archive}/old`)));
  assert.ok(
    !(await exists(`${config.dataDir}/raw/2026-01-01`)),
    "a folder holding a link is removed without following it",
  );
  assert.equal(await Deno.readTextFile(`${outside}/precious.txt`), "keep me");
});

Deno.test("cleanup --dry-run lists without deleting, under the task's permissions", async () => {
  const dir = await tempDir();
  const config = testConfig(dir);
  await agedDir(`${config.dataDir}/processed/archive/r1`, 40);
  const r = await runDeno([
    "run",
    `--allow-read=${dir}`,
    `--allow-write=${dir}`,
    "--allow-env",
    `${ROOT}/stages/cleanup.ts`,
    "--dry-run",
    "--keep",
    "0",
    "--data-dir",
    config.dataDir,
    "--log-dir",
    config.logDir,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /would delete .*archive\/r1/);
  assert.ok(await exists(`${config.dataDir}/processed/archive/r1`));
});
