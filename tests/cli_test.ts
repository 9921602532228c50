/** The command line as a user meets it: help, exit codes, one-line errors, permissions. */
import assert from "node:assert/strict";
import { ROOT, runDeno, tempDir } from "./helpers.ts";
import { SUBCOMMANDS as COMMANDS } from "../main.ts";
import { launchArgs, permissionFlags } from "../lib/launch_plan.ts";

const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`))
  .tasks as Record<string, string>;

/**
 * The permission flags a deno.json task runs its script with, so tests run
 * with exactly what users get (for launched tasks: on the embedded database).
 */
function flagsOf(task: string): string[] {
  const words = tasks[task].split(" ");
  const at = words.indexOf("tasks/launch.ts");
  if (at >= 0) return permissionFlags(launchArgs(words[at + 1], [], {}));
  return permissionFlags(words);
}

const SUBCOMMANDS = Object.keys(COMMANDS);

Deno.test("every subcommand and stage script answers --help", async () => {
  for (const sub of SUBCOMMANDS) {
    const r = await runDeno([
      "run",
      ...flagsOf("ecom"),
      "main.ts",
      sub,
      "--help",
    ], { cwd: ROOT });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^ecom ${sub} - `));
    assert.match(r.stdout, /--data-dir DIR/);
  }
  const direct = await runDeno([
    "run",
    ...flagsOf("generate"),
    "stages/generate.ts",
    "--help",
  ], { cwd: ROOT });
  assert.equal(direct.code, 0);
  assert.match(direct.stdout, /--defect-rate/);
  const top = await runDeno(["run", ...flagsOf("ecom"), "main.ts", "--help"], {
    cwd: ROOT,
  });
  assert.equal(top.code, 0);
  for (const sub of SUBCOMMANDS) {
    assert.match(top.stdout, new RegExp(`\\n  ${sub} `));
  }
});

Deno.test("bad usage exits 2; bad input exits 1 with one line and no stack trace", async () => {
  const dir = await tempDir();
  const unknown = await runDeno([
    "run",
    ...flagsOf("ecom"),
    "main.ts",
    "generate",
    "--bogus",
  ], { cwd: ROOT });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /generate: error: .*bogus/);

  const badValue = await runDeno([
    "run",
    ...flagsOf("ecom"),
    "main.ts",
    "generate",
    "--scale",
    "abc",
  ], { cwd: ROOT });
  assert.equal(badValue.code, 2);
  assert.match(badValue.stderr, /--scale must be a number: got "abc"/);

  // Missing input files, in a data dir the task may use.
  const r = await runDeno([
    "run",
    "-A",
    `${ROOT}/main.ts`,
    "ingest",
    "--data-dir",
    `${dir}/data`,
    "--log-dir",
    `${dir}/logs`,
  ], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ingest: error: .*customers\.csv: file not found/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
});

Deno.test("reading CSVs outside data/ names the grant to add", async () => {
  const dir = await tempDir();
  const r = await runDeno([
    "run",
    ...flagsOf("ingest"),
    "stages/ingest.ts",
    "--input",
    dir,
  ], { cwd: ROOT });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`Not allowed to read ${dir}/customers\\.csv`),
  );
  assert.match(
    r.stderr,
    new RegExp(`--allow-read=data,logs,node_modules,${dir}`),
  );
  assert.match(r.stderr, /copy the files into data\/raw/);
});

Deno.test("the generate task cannot open a network connection", async () => {
  assert.ok(!flagsOf("generate").some((f) => f.startsWith("--allow-net")));
  const dir = await tempDir();
  const probe = `${dir}/probe.ts`;
  await Deno.writeTextFile(
    probe,
    `(await Deno.connect({ hostname: "127.0.0.1", port: 5432 })).close();`,
  );
  const r = await runDeno(["run", ...flagsOf("generate"), probe], {
    cwd: ROOT,
  });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /NotCapable|Requires net access/);
});

/** `deno task NAME ARGS` with data and logs under `dir`, as a user runs it. */
function taskIn(dir: string, name: string, args: string[]) {
  return runDeno([
    "task",
    "-q",
    name,
    ...args,
    "--data-dir",
    `${dir}/data`,
    "--log-dir",
    `${dir}/logs`,
  ], { cwd: ROOT });
}

/** `ecom ARGS` through the real `deno task ecom` (launcher and its grants). */
function ecom(args: string[]) {
  return runDeno(["task", "-q", "ecom", ...args], { cwd: ROOT });
}

Deno.test("the CLI keeps common habits: --version, -h, typo hints, exit 2 for any bad value", async () => {
  const version = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`))
    .version;
  for (const args of [["--version"], ["transform", "--version"]]) {
    const r = await ecom(args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `ecom-pipeline ${version}`);
  }
  const help = await ecom(["warehouse", "-h"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^ecom warehouse - /);

  const cases: [string[], RegExp][] = [
    [
      ["transfrom"],
      /unknown subcommand "transfrom"; did you mean "transform"\?/,
    ],
    [
      ["generate", "--sead", "7"],
      /unknown option --sead \(did you mean --seed\?\)/,
    ],
    [["generate", "--scale", "abc"], /--scale must be a number: got "abc"/],
    [["generate", "--scale", "0"], /--scale 0: Too small/],
    [["generate", "--scale", "-1"], /--scale -1: Too small/],
    [
      ["pipeline", "--date", "2026-13-45"],
      /--date must be a calendar date YYYY-MM-DD: got "2026-13-45"/,
    ],
    [
      ["pipeline", "--only", "transfrom"],
      /--only transfrom: no such step; did you mean transform\?/,
    ],
    [
      ["pipeline", "--from", "ingest", "--from-step", "quality"],
      /say the same thing/,
    ],
    [["ingest", "stray"], /unexpected argument "stray"/],
  ];
  for (const [args, message] of cases) {
    const r = await ecom([...args, "--data-dir", "data/cli-usage"]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  await Deno.remove(`${ROOT}/data/cli-usage`, { recursive: true }).catch(
    () => {},
  );
});

Deno.test("any path works with least privilege kept: data, logs and config outside the project", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/c.json`,
      JSON.stringify({ generate: { scale: 0.02, seed: 3 } }),
    );
    const r = await taskIn(dir, "generate", ["--config", `${dir}/c.json`]);
    assert.equal(r.code, 0, r.stderr);
    const meta = JSON.parse(
      await Deno.readTextFile(`${dir}/data/raw/generation_metadata.json`),
    );
    assert.equal(meta.scale, 0.02);
    assert.equal(meta.seed, 3);
    assert.ok((await Deno.stat(`${dir}/logs/ecom.jsonl`)).size > 0);
    // And nothing beyond them: a link under data/ to another place is refused.
    const outside = await tempDir();
    await Deno.writeTextFile(`${outside}/customers.csv`, "secret,line\n");
    await Deno.mkdir(`${dir}/data/linked`);
    for (const f of ["products", "transactions", "transaction_items"]) {
      await Deno.copyFile(
        `${dir}/data/raw/${f}.csv`,
        `${dir}/data/linked/${f}.csv`,
      );
    }
    await Deno.symlink(
      `${outside}/customers.csv`,
      `${dir}/data/linked/customers.csv`,
    );
    const linked = await taskIn(dir, "ingest", [
      "--input",
      `${dir}/data/linked`,
    ]);
    assert.equal(linked.code, 1, linked.stderr);
    assert.match(
      linked.stderr,
      /is a link to .*customers\.csv, outside the directories this task may read/,
    );
    assert.doesNotMatch(linked.stderr + linked.stdout, /secret/);
    await Deno.remove(outside, { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the JSON log is worth parsing: numbers are numbers and every run line carries the run id", async () => {
  const dir = await tempDir();
  try {
    const r = await taskIn(dir, "pipeline", ["--scale", "0.05"]);
    assert.equal(r.code, 0, r.stderr);
    const records = (await Deno.readTextFile(`${dir}/logs/ecom.jsonl`))
      .trim().split("\n").map((l) => JSON.parse(l));
    const report = JSON.parse(
      await Deno.readTextFile(
        `${dir}/data/processed/pipeline_execution_report.json`,
      ),
    );
    const id = report.pipeline_execution_id;
    const steps = records.filter((x) =>
      x.logger === "ecom.pipeline" && x.properties?.rows !== undefined
    );
    assert.equal(steps.length, 7, "one line per step");
    for (const s of steps) {
      assert.equal(typeof s.properties.rows, "number");
      assert.equal(typeof s.properties.seconds, "number");
      assert.equal(
        s.properties.rows,
        report.steps_executed[s.properties.step].records_processed,
      );
    }
    const during = records.filter((x) =>
      x["@timestamp"] >= report.start_time && x["@timestamp"] <= report.end_time
    );
    assert.ok(during.length > 20);
    assert.deepEqual(
      during.filter((x) => x.properties?.run_id !== id).map((x) => x.message),
      [],
      "every line of the run names it",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
