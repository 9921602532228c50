/**
 * What the reliability suites share: running the CLI as a subprocess and
 * watching its output, fresh databases on both backends, and a fingerprint of
 * the warehouse (rows per table, money to the cent, rejects per reason) to
 * compare a troubled run with a clean one.
 */
import { openDb } from "../lib/db.ts";
import type { Config } from "../lib/config.ts";
import {
  createServerDb,
  ROOT,
  SERVER_URL,
  tempDir,
  testConfig,
} from "./helpers.ts";

const IN_CI = Deno.env.get("CI") === "true";
export const KILL_STEPS = [
  "ingest",
  "quality",
  "transform",
  "warehouse",
  "analytics",
] as const;

/** Tables whose row counts must match a clean run's. */
const TABLES = [
  "production.customers",
  "production.products",
  "production.transactions",
  "production.transaction_items",
  "production.rejected_records",
  "warehouse.dim_customers",
  "warehouse.dim_products",
  "warehouse.dim_date",
  "warehouse.dim_payment_method",
  "warehouse.fact_sales",
  "warehouse.fact_orders",
  "warehouse.agg_daily_sales",
  "warehouse.agg_customer_metrics",
  "warehouse.agg_product_performance",
];

/** Rows per table, revenue and profit to the cent, rejects per reason. */
export async function fingerprint(config: Config) {
  const db = await openDb(config);
  try {
    const rows: Record<string, number> = {};
    for (const t of TABLES) {
      const [{ n }] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${t}`,
      );
      rows[t] = n;
    }
    const [money] = await db.query(
      `SELECT sum(line_total)::text AS revenue, sum(profit)::text AS profit
       FROM warehouse.fact_sales`,
    );
    const rejects = await db.query(
      `SELECT table_name, reason, count(*)::int AS n
       FROM production.rejected_records, unnest(reasons) AS reason
       GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    return { rows, money, rejects };
  } finally {
    await db.close();
  }
}

export async function runStatuses(config: Config): Promise<string[]> {
  const db = await openDb(config);
  try {
    return (await db.query<{ status: string }>(
      "SELECT status FROM ops.pipeline_runs ORDER BY started_at",
    )).map((r) => r.status);
  } finally {
    await db.close();
  }
}

export interface Spawned {
  child: Deno.ChildProcess;
  /** Resolves once stderr or stdout has shown `text`. */
  seen(text: string, timeoutMs?: number): Promise<void>;
  /** Exit status and everything printed. */
  done(): Promise<{ code: number; signal: string | null; output: string }>;
}

export function spawn(
  args: string[],
  env: Record<string, string> = {},
  launcher = false,
): Spawned {
  const child = new Deno.Command(Deno.execPath(), {
    args: launcher
      ? ["run", "-A", `${ROOT}/tasks/launch.ts`, "main.ts", ...args]
      : ["run", "-A", `${ROOT}/main.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const waiters: Array<{ text: string; resolve(): void }> = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      output += dec.decode(chunk);
      for (const w of [...waiters]) {
        if (output.includes(w.text)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    child,
    seen(text, timeoutMs = 120_000) {
      if (output.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`never saw "${text}":\n${output}`)),
          timeoutMs,
        );
        waiters.push({
          text,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async done() {
      const status = await child.status;
      await pumped;
      return { code: status.code, signal: status.signal, output };
    },
  };
}

/** A fresh database (a temporary directory, plus a server database). */
export async function freshTarget(backend: "embedded" | "server") {
  const dir = await tempDir("ecom-rel-");
  const server = backend === "server" ? await createServerDb() : undefined;
  const config = testConfig(dir, server ? { databaseUrl: server.url } : {});
  const flags = [
    "--data-dir",
    config.dataDir,
    "--log-dir",
    config.logDir,
    ...(server ? ["--database-url", server.url] : []),
  ];
  return {
    config,
    flags,
    async drop() {
      await server?.drop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

export function pipelineArgs(raw: string, flags: string[]): string[] {
  return ["pipeline", "--input", raw, ...flags];
}

export function backendTest(
  name: string,
  fn: (backend: "embedded" | "server") => Promise<void>,
  only?: "embedded" | "server",
) {
  for (const backend of ["embedded", "server"] as const) {
    if (only && only !== backend) continue;
    const missing = backend === "server" && !SERVER_URL;
    Deno.test({
      name: `${name} [${backend}]`,
      ignore: missing && !IN_CI,
      sanitizeOps: false,
      sanitizeResources: false,
      async fn() {
        if (missing) {
          throw new Error(
            "ECOM_TEST_DATABASE_URL is not set: server tests cannot run (CI requires them)",
          );
        }
        await fn(backend);
      },
    });
  }
}
