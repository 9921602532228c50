/** The command line as a user meets it: help, exit codes, one-line errors, permissions. */
import assert from "node:assert/strict";
import { ROOT, runDeno, tempDir } from "./helpers.ts";
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

const SUBCOMMANDS = [
  "generate",
  "ingest",
  "quality",
  "transform",
  "warehouse",
  "analytics",
  "dashboard",
  "monitor",
  "cleanup",
  "pipeline",
  "schedule",
  "db:serve",
  "dashboard:serve",
];

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
