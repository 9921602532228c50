/**
 * Deployment, checked statically (no Docker engine here) and by running what
 * can run: the compose file and Dockerfile, the environment documented in
 * .env.example, the one-file bundle run from an empty directory against the
 * server, the compile task's failure message, and least privilege for the
 * network.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { SUBCOMMANDS } from "../main.ts";
import { ENV_VARS } from "../lib/env.ts";
import {
  databaseHosts,
  launchArgs,
  permissionFlags,
  webhookHost,
} from "../lib/launch_plan.ts";
import {
  createServerDb,
  ROOT,
  runDeno,
  SERVER_URL,
  SKIP_SERVER,
  skipWithout,
  tempDir,
} from "./helpers.ts";

const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`))
  .tasks as Record<
    string,
    string
  >;
const DENO_VERSION = (await Deno.readTextFile(`${ROOT}/.ci/run`)).match(
  /DENO_VERSION=(\S+)/,
)![1];

/** `docker-compose config` (validates, resolves anchors and variables) when installed. */
interface Service {
  image?: string;
  build?: { context?: string };
  command: string[];
  environment: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck: { test: string[] };
  volumes: (string | { source: string })[];
  restart?: string;
  env_file?: unknown;
}

async function renderedCompose(): Promise<
  { services: Record<string, Service> }
> {
  const dir = await tempDir();
  await Deno.copyFile(
    `${ROOT}/docker-compose.yml`,
    `${dir}/docker-compose.yml`,
  );
  await Deno.copyFile(`${ROOT}/.env.example`, `${dir}/.env`);
  await Deno.writeTextFile(`${dir}/Dockerfile`, "FROM scratch\n");
  try {
    const out = await new Deno.Command("docker-compose", {
      args: ["config"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return parse(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "docker-compose: services, healthcheck, start order, volumes, restart policy",
  ignore: skipWithout("docker-compose", "apt-get install docker-compose"),
}, async () => {
  const raw = parse(await Deno.readTextFile(`${ROOT}/docker-compose.yml`));
  const c = await renderedCompose();
  assert.deepEqual(Object.keys(c.services).sort(), [
    "dashboard",
    "pipeline",
    "postgres",
    "scheduler",
  ]);
  const pg = c.services.postgres;
  assert.match(
    pg.image!,
    /^postgres:\d+\.\d+$/,
    "official image, pinned minor",
  );
  assert.match(pg.healthcheck.test.join(" "), /pg_isready/);
  assert.ok(
    pg.volumes.some((v: string | { source: string }) =>
      (typeof v === "string" ? v : v.source).startsWith("postgres-data")
    ),
  );
  for (const name of ["pipeline", "scheduler", "dashboard"]) {
    const s = c.services[name];
    assert.deepEqual(s.depends_on, {
      postgres: { condition: "service_healthy" },
    }, name);
    assert.ok(s.build?.context, `${name} builds the image`);
    // Its command is a task that exists.
    const [verb, task] = s.command;
    assert.equal(verb, "task");
    assert.ok(tasks[task], `${name}: task ${task} exists in deno.json`);
    assert.equal(s.env_file, undefined, `${name}: no whole .env handed over`);
    assert.equal(s.environment.POSTGRES_PASSWORD, undefined, name);
  }
  for (const name of ["pipeline", "scheduler"]) {
    assert.match(
      c.services[name].environment.DATABASE_URL,
      /^postgres:\/\/.+@postgres:5432\//,
    );
  }
  // The dashboard serves files: no database URL, so no password.
  assert.equal(c.services.dashboard.environment.DATABASE_URL, undefined);
  assert.match(
    c.services.dashboard.healthcheck.test.join(" "),
    /\/healthz/,
  );
  // The build context leaves data, logs and history out.
  const ignore = await Deno.readTextFile(`${ROOT}/.dockerignore`);
  for (const dir of ["data/", "logs/", ".git/", "node_modules/"]) {
    assert.match(ignore, new RegExp(`^${dir.replace(".", "\\.")}$`, "m"));
  }
  assert.equal(c.services.scheduler.restart, "unless-stopped");
  assert.deepEqual(Object.keys(raw.volumes).sort(), [
    "pipeline-data",
    "pipeline-logs",
    "postgres-data",
  ]);
  // No secret in the compose file itself: passwords come from .env.
  assert.doesNotMatch(
    await Deno.readTextFile(`${ROOT}/docker-compose.yml`),
    /change-me/,
  );
});

Deno.test(".env.example documents every variable the code reads", async () => {
  const example = await Deno.readTextFile(`${ROOT}/.env.example`);
  const compose = await Deno.readTextFile(`${ROOT}/docker-compose.yml`);
  for (const name of ENV_VARS) {
    assert.ok(
      new RegExp(`^#? ?${name}=`, "m").test(example) ||
        compose.includes(`${name}:`),
      `${name} is set in docker-compose.yml or documented in .env.example`,
    );
  }
  // And every variable compose interpolates is in .env.example.
  for (const [, name] of compose.matchAll(/\$\{(\w+)/g)) {
    assert.match(example, new RegExp(`^${name}=`, "m"), name);
  }
  const ignored = await Deno.readTextFile(`${ROOT}/.gitignore`);
  assert.match(ignored, /^\.env$/m, ".env is never committed");
});

Deno.test("Dockerfile: pinned official Deno image, dependency layer, non-root, real task", async () => {
  const text = await Deno.readTextFile(`${ROOT}/Dockerfile`);
  const lines = text.split("\n").filter((l) => l && !l.startsWith("#"));
  assert.equal(
    lines[0],
    `FROM denoland/deno:${DENO_VERSION}`,
    "same Deno as CI",
  );
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const install = at(/^RUN deno install --frozen/);
  assert.ok(install > 0, "dependencies installed from the frozen lock");
  assert.ok(at(/^COPY .*deno\.json deno\.lock/) < install);
  assert.ok(
    install < at(/^COPY .*lib\//),
    "sources copied after the dependency layer",
  );
  const user = lines.filter((l) => l.startsWith("USER ")).at(-1);
  assert.ok(user && !/root|\b0\b/.test(user), `runs as ${user}`);
  const cmd = JSON.parse(lines.find((l) => l.startsWith("CMD "))!.slice(4));
  assert.equal(cmd[0], "task");
  assert.ok(tasks[cmd[1]], `CMD task ${cmd[1]} exists`);
  for (const [, src] of text.matchAll(/^COPY (?:--\S+ )*(.+) \S+$/gm)) {
    for (const path of src.split(" ")) await Deno.stat(`${ROOT}/${path}`);
  }
});

Deno.test("database tasks reach only the configured database (none when embedded)", () => {
  const net = (args: string[]) =>
    args.filter((a) => a.startsWith("--allow-net"));
  assert.deepEqual(net(launchArgs("stages/quality.ts", [], {})), []);
  assert.deepEqual(
    net(launchArgs("stages/quality.ts", [], {
      databaseUrl: "postgres://app:pw@db.example.com:6543/shop",
      webhookUrl: "https://hooks.example.com/x",
    })),
    ["--allow-net=db.example.com:6543"],
    "no webhook for a stage that sends no alerts",
  );
  assert.deepEqual(
    net(launchArgs("tasks/pipeline_cli.ts", [], {
      databaseUrl: "postgres://app@db1,db2:5433/shop",
      webhookUrl: "https://hooks.example.com/x",
    })),
    ["--allow-net=db1:5432,db2:5433,hooks.example.com:443"],
  );
  assert.deepEqual(databaseHosts("postgresql://[::1]:5555/x"), ["[::1]:5555"]);
  assert.deepEqual(net(launchArgs("main.ts", ["db:serve"], {})), [
    "--allow-net=127.0.0.1,0.0.0.0,localhost",
  ], "the CLI's servers may listen locally");
  assert.equal(webhookHost("http://127.0.0.1:9000/h"), "127.0.0.1:9000");
  for (const [name, task] of Object.entries(tasks)) {
    if (!task.includes("tasks/launch.ts")) continue;
    assert.doesNotMatch(
      task,
      /--allow-net/,
      `${name}: the launcher itself has no network`,
    );
  }
});

Deno.test({
  name:
    "every stage task succeeds with its own permissions, embedded and on the server",
  ignore: SKIP_SERVER,
}, async () => {
  // Relative grants (data, logs) hold inside the repository: a scratch data
  // directory under data/ stands in for a user's.
  const id = crypto.randomUUID().slice(0, 8);
  const common = [
    "--data-dir",
    `data/perm-${id}`,
    "--log-dir",
    `logs/perm-${id}`,
  ];
  const server = await createServerDb();
  try {
    const run = async (task: string, ...args: string[]) => {
      const r = await runDeno(["task", task, ...args, ...common], {
        cwd: ROOT,
      });
      return r;
    };
    const ok = async (task: string, ...args: string[]) => {
      const r = await run(task, ...args);
      assert.equal(r.code, 0, `${task}: ${r.stderr.slice(-600)}`);
    };
    await ok("generate", "--scale", "0.05");
    for (
      const t of [
        "ingest",
        "quality",
        "transform",
        "warehouse",
        "analytics",
        "dashboard",
      ]
    ) {
      await ok(t);
    }
    const monitor = await run("monitor");
    assert.ok([0, 1, 2].includes(monitor.code), monitor.stderr);
    assert.doesNotMatch(monitor.stderr, /NotCapable|Requires .* access/);
    await ok("cleanup", "--dry-run");
    await ok("pipeline", "--skip-generate", "--database-url", server.url);
    const status = await run(
      "schedule",
      "--status",
      "--database-url",
      server.url,
    );
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /full\s+success/);
  } finally {
    await server.drop();
    await Deno.remove(`${ROOT}/data/perm-${id}`, { recursive: true }).catch(
      () => {},
    );
    await Deno.remove(`${ROOT}/logs/perm-${id}`, { recursive: true }).catch(
      () => {},
    );
  }
});

Deno.test({
  name: "the one-file bundle runs the whole pipeline from an empty directory",
  ignore: SKIP_SERVER,
}, async () => {
  if (!SERVER_URL) throw new Error("ECOM_TEST_DATABASE_URL is not set");
  const built = await runDeno(["task", "bundle"], { cwd: ROOT });
  assert.equal(built.code, 0, built.stderr);
  const dir = await tempDir();
  const server = await createServerDb();
  try {
    await Deno.copyFile(
      `${ROOT}/dist/ecom-pipeline.js`,
      `${dir}/ecom-pipeline.js`,
    );
    await Deno.writeTextFile(
      `${dir}/ecom.config.json`,
      JSON.stringify({ generate: { scale: 0.05 } }),
    );
    const flags = permissionFlags(
      launchArgs("main.ts", [], { databaseUrl: server.url }),
    );
    const sub = async (...args: string[]) =>
      await runDeno(["run", ...flags, "ecom-pipeline.js", ...args], {
        cwd: dir,
      });
    const top = await sub("--help");
    const names = [...top.stdout.matchAll(/^ {2}(\S+) /gm)].map((m) => m[1]);
    assert.deepEqual(names, Object.keys(SUBCOMMANDS));
    for (const name of names) {
      const h = await sub(name, "--help");
      assert.equal(h.code, 0, `${name} --help: ${h.stderr}`);
      assert.match(h.stdout, new RegExp(`^ecom ${name} - `));
    }
    const r = await sub("pipeline", "--database-url", server.url);
    assert.equal(r.code, 0, r.stderr.slice(-800));
    const report = JSON.parse(
      await Deno.readTextFile(
        `${dir}/data/processed/pipeline_execution_report.json`,
      ),
    );
    assert.equal(report.status, "success");
    assert.equal(report.backend, "server");
    await Deno.stat(`${dir}/data/processed/dashboard/index.html`);
  } finally {
    await server.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("deno task compile builds, or fails in one line when the runtime cannot be downloaded", async () => {
  const r = await runDeno(["task", "compile"], { cwd: ROOT });
  if (r.code === 0) {
    await Deno.stat(`${ROOT}/dist/ecom-pipeline`);
    return;
  }
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /compile: deno compile must download Deno's runtime from https:\/\//,
  );
  assert.match(r.stderr, /hint: set DENORT_BIN/);
  assert.doesNotMatch(r.stderr, /Stack backtrace|^\s+at /m);
});
