/**
 * Test plumbing: every database test runs once per backend, on a fresh
 * embedded database in a temporary directory and on a fresh database
 * created on the PostgreSQL server named by ECOM_TEST_DATABASE_URL.
 * In CI (CI=true) a missing server URL fails the server variants instead of
 * skipping them, so a green run always means both backends were tested.
 *
 * @module
 */
import { STEPS } from "../tasks/pipeline.ts";
import postgres from "postgres";
import { type Config, ConfigSchema } from "../lib/config.ts";
import { type Db, openDb } from "../lib/db.ts";
import { setupLogging } from "../lib/log.ts";
import { generateShop } from "../lib/synth/shop.ts";
import { runIngest } from "../stages/ingest.ts";

export const SERVER_URL = Deno.env.get("ECOM_TEST_DATABASE_URL");
const IN_CI = Deno.env.get("CI") === "true";
/**
 * Server tests are skipped on a machine without a server (a fresh laptop);
 * in CI a missing server fails them instead.
 */
export const SKIP_SERVER = !SERVER_URL && !IN_CI;

/** Whether `program` (a path, or a name on PATH) exists on this machine. */
function hasProgram(program: string): boolean {
  const dirs = program.includes("/")
    ? [""]
    : (Deno.env.get("PATH") ?? "").split(":").map((d) => `${d}/`);
  return dirs.some((d) => {
    try {
      return Deno.statSync(`${d}${program}`).isFile;
    } catch {
      return false;
    }
  });
}

/**
 * Tests of things a person looks at need tools a fresh machine lacks
 * (Chromium, docker-compose). `.ci/run` installs them and CI fails without
 * them; elsewhere those tests are skipped, with one line saying what to
 * install.
 */
export function skipWithout(program: string, install: string): boolean {
  if (IN_CI || hasProgram(program)) return false;
  console.log(`skipped: tests that need ${program} (${install})`);
  return true;
}
if (
  SKIP_SERVER && !(globalThis as { __ecomSkipNoted?: boolean }).__ecomSkipNoted
) {
  (globalThis as { __ecomSkipNoted?: boolean }).__ecomSkipNoted = true;
  console.log(
    "server tests skipped: set ECOM_TEST_DATABASE_URL=postgres://user@127.0.0.1:5432/db (a role that may create databases) to run them",
  );
}

export type Backend = "embedded" | "server";

/** What a database test receives. */
export interface DbTestContext {
  backend: Backend;
  config: Config;
  /** Opens another connection to the same database (the test closes it). */
  open(): Promise<Db>;
  db: Db;
  dir: string;
}

await setupLogging({
  logDir: await Deno.makeTempDir({ prefix: "ecom-test-logs-" }),
  level: "error",
});

/** A fresh temporary directory, removed by the caller or the OS. */
export function tempDir(prefix = "ecom-test-"): Promise<string> {
  return Deno.makeTempDir({ prefix });
}

/** Builds a configuration for tests without reading the environment. */
export function testConfig(
  dir: string,
  overrides: Record<string, unknown> = {},
): Config {
  return ConfigSchema.parse({
    dataDir: `${dir}/data`,
    logDir: `${dir}/logs`,
    ...overrides,
  });
}

/**
 * A Citus cluster's start script (`start-cluster.sh` of docs/scaling.md):
 * with it, the server tests' databases are made on every node, with the
 * extension and the workers registered, not on the coordinator alone (where
 * Citus would keep every shard on the coordinator and hide distribution bugs).
 */
export const CITUS_CLUSTER = Deno.env.get("ECOM_TEST_CITUS_CLUSTER");
/** The Citus coordinator (its `postgres` database), for tests/citus_test.ts. */
export const CITUS_URL = Deno.env.get("ECOM_TEST_CITUS_URL");

/** Whether `url` names the Citus coordinator (same host and port). */
function onCluster(url: string): boolean {
  if (!CITUS_CLUSTER || !CITUS_URL) return false;
  const a = new URL(url), b = new URL(CITUS_URL);
  return a.hostname === b.hostname && (a.port || "5432") === (b.port || "5432");
}

async function cluster(...args: string[]): Promise<void> {
  const out = await new Deno.Command("bash", {
    args: [CITUS_CLUSTER!, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(
      `${CITUS_CLUSTER} ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
}

/**
 * A fresh database on the server `base` names (the test server by default),
 * made on every node when it is the Citus coordinator.
 */
export async function createServerDb(base = SERVER_URL!): Promise<
  { url: string; drop(): Promise<void> }
> {
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  const name = `ecom_t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const citus = onCluster(base);
  if (citus) await cluster(name);
  else await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      if (citus) await cluster("drop", name);
      else await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * Registers `fn` as one test per backend: "<name> [embedded]" and
 * "<name> [server]".
 */
export function dbTest(
  name: string,
  fn: (ctx: DbTestContext) => Promise<void>,
  options: {
    configOverrides?: Record<string, unknown>;
    only?: Backend;
    /** The test opens its own connections (an embedded directory allows one). */
    noDb?: boolean;
  } = {},
): void {
  for (const backend of ["embedded", "server"] as const) {
    if (options.only && options.only !== backend) continue;
    const missingServer = backend === "server" && !SERVER_URL;
    Deno.test({
      name: `${name} [${backend}]`,
      ignore: missingServer && !IN_CI,
      sanitizeResources: false,
      sanitizeOps: false,
      async fn() {
        if (missingServer) {
          throw new Error(
            "ECOM_TEST_DATABASE_URL is not set: server tests cannot run (CI requires them)",
          );
        }
        const dir = await tempDir();
        let server: Awaited<ReturnType<typeof createServerDb>> | undefined;
        if (backend === "server") server = await createServerDb();
        const config = testConfig(dir, {
          ...options.configOverrides,
          ...(server ? { databaseUrl: server.url } : {}),
        });
        const db = options.noDb ? undefined : await openDb(config);
        try {
          await fn({
            backend,
            config,
            db: db!,
            dir,
            open: () => openDb(config),
          });
        } finally {
          await db?.close();
          await server?.drop();
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        }
      },
    });
  }
}

/** Parses a CSV file into records (header first) with csv-parse, independently of the loader. */
export async function readCsv(path: string): Promise<string[][]> {
  const { parse } = await import("csv-parse/sync");
  return parse(await Deno.readTextFile(path), { bom: true }) as string[][];
}

/** Reads a CSV file into objects keyed by header. */
export async function readCsvObjects(
  path: string,
): Promise<Record<string, string>[]> {
  const [header, ...rows] = await readCsv(path);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

/** Runs a deno subprocess and returns its exit code and output. */
export async function runDeno(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** The repository root (tests run from anywhere). */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Generates a data set into `config.dataDir/raw` and loads it into staging. */
export async function loadGenerated(
  config: Config,
  db: Db,
  defectRate: number,
  scale = 0.3,
) {
  const raw = `${config.dataDir}/raw`;
  await generateShop({
    seed: 11,
    scale,
    startDate: "2025-01-01",
    endDate: "2025-12-31",
    defectRate,
    outDir: raw,
  });
  await runIngest(config, db);
  return raw;
}

/** The pipeline without its reporting steps (analytics, dashboard): faster tests. */
export const CORE_STEPS = STEPS.filter((s) =>
  s.name !== "analytics" && s.name !== "dashboard"
);
