/**
 * Least privilege for the network: which hosts a task may reach follows
 * from its configuration, which a static deno.json task cannot express. The
 * launcher (tasks/launch.ts) computes the flags here and runs the real
 * script with them: the database's host:port on a server, nothing on the
 * embedded database, plus the alert webhook's host for the tasks that send
 * alerts.
 *
 * @module
 */
import { ENV_VARS } from "./env.ts";

/** Reads granted to every database task (PGlite reads its own files). */
export const READS = [
  "data",
  "logs",
  "ecom.config.json",
  "/proc",
  "node_modules/.deno/@electric-sql+pglite@0.5.16/node_modules/@electric-sql/pglite/dist",
];

/** Scripts the launcher may start, and what each needs beyond the basics. */
export const SCRIPTS: Record<
  string,
  { alerts?: boolean; cron?: boolean; sys?: boolean }
> = {
  "main.ts": { alerts: true, cron: true, sys: true },
  "stages/ingest.ts": {},
  "stages/quality.ts": {},
  "stages/transform.ts": {},
  "stages/warehouse.ts": {},
  "stages/analytics.ts": {},
  "stages/dashboard.ts": {},
  "stages/monitor.ts": { alerts: true, sys: true },
  "tasks/pipeline.ts": { alerts: true, sys: true },
  "tasks/schedule.ts": { alerts: true, cron: true, sys: true },
};

/** `host:port` of every host in a PostgreSQL URL (multi-host URLs included). */
export function databaseHosts(url: string): string[] {
  const m = url.match(/^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/?#]*)/i);
  if (!m) return [];
  return m[1].split(",").filter(Boolean).map((h) => {
    const bracketed = h.match(/^(\[[^\]]+\])(?::(\d+))?$/);
    if (bracketed) return `${bracketed[1]}:${bracketed[2] ?? "5432"}`;
    const [host, port] = h.split(":");
    return `${host || "localhost"}:${port || "5432"}`;
  });
}

/** The host:port of an http(s) URL, for the webhook. */
export function webhookHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return `${u.hostname}:${
      u.port || (u.protocol === "https:" ? "443" : "80")
    }`;
  } catch {
    return undefined;
  }
}

/** The `deno run` arguments for `script` under this configuration. */
export function launchArgs(
  script: string,
  args: string[],
  config: { databaseUrl?: string; webhookUrl?: string },
): string[] {
  const spec = SCRIPTS[script];
  if (!spec) throw new Error(`launch: unknown script ${script}`);
  // Through the one CLI, the two servers listen locally.
  const serving = script === "main.ts" &&
    (args[0] === "db:serve" || args[0] === "dashboard:serve");
  const net = [
    ...(serving ? ["127.0.0.1", "0.0.0.0", "localhost"] : []),
    ...(config.databaseUrl ? databaseHosts(config.databaseUrl) : []),
    ...(spec.alerts && webhookHost(config.webhookUrl)
      ? [webhookHost(config.webhookUrl)!]
      : []),
  ];
  return [
    "run",
    ...(spec.cron ? ["--unstable-cron"] : []),
    `--allow-read=${READS.join(",")}`,
    "--allow-write=data,logs",
    `--allow-env=${ENV_VARS.join(",")}`,
    ...(net.length ? [`--allow-net=${[...new Set(net)].join(",")}`] : []),
    ...(spec.sys ? ["--allow-sys=hostname"] : []),
    script,
    ...args,
  ];
}

/** `--name value` or `--name=value` from command-line arguments. */
export function flagValue(args: string[], name: string): string | undefined {
  for (const [i, a] of args.entries()) {
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** The permission flags (`--allow-*`, `--unstable-*`) among `deno run` arguments. */
export function permissionFlags(args: string[]): string[] {
  return args.filter((a) =>
    a.startsWith("--allow") || a.startsWith("--unstable")
  );
}
