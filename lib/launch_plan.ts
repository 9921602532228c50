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
import { hostPart, normalizeDatabaseUrl } from "./db_url.ts";

/**
 * PGlite's WebAssembly files, which the embedded database reads at start-up:
 * found in the installed packages rather than written down, so an upgrade of
 * PGlite needs no edit here.
 */
function pgliteDist(): string {
  try {
    for (const e of Deno.readDirSync("node_modules/.deno")) {
      if (e.name.startsWith("@electric-sql+pglite@")) {
        return `node_modules/.deno/${e.name}/node_modules/@electric-sql/pglite/dist`;
      }
    }
  } catch { /* not installed yet, or not readable here */ }
  return "node_modules/.deno";
}

/** Reads granted to every task (PGlite reads its own files). */
export const READS = ["data", "logs", "ecom.config.json", pgliteDist()];

/** Scripts the launcher may start, and what each needs beyond the basics. */
export const SCRIPTS: Record<
  string,
  { alerts?: boolean; cron?: boolean; sys?: boolean; listen?: boolean }
> = {
  "main.ts": { alerts: true, cron: true, sys: true },
  "stages/generate.ts": {},
  "stages/cleanup.ts": {},
  "tasks/db_serve.ts": { listen: true },
  "tasks/serve_dashboard.ts": { listen: true },
  "stages/ingest.ts": {},
  "stages/quality.ts": {},
  "stages/transform.ts": {},
  "stages/warehouse.ts": {},
  "stages/analytics.ts": {},
  "stages/dashboard.ts": {},
  "stages/monitor.ts": { alerts: true, sys: true },
  "tasks/pipeline_cli.ts": { alerts: true, sys: true },
  "tasks/schedule.ts": { alerts: true, cron: true, sys: true },
};

/**
 * `host:port` of every host in a PostgreSQL URL (multi-host URLs included).
 *
 * @example
 * ```ts
 * databaseHosts("postgres://app:p@ss@db1,db2:5433/shop"); // ["db1:5432", "db2:5433"]
 * ```
 */
export function databaseHosts(url: string): string[] {
  // The host part starts after the authority's last @, so a password with
  // an @ never leaks into the permission flag.
  return hostPart(normalizeDatabaseUrl(url)).split(",").filter(Boolean).map(
    (h) => {
      const bracketed = h.match(/^(\[[^\]]+\])(?::(\d+))?$/);
      if (bracketed) return `${bracketed[1]}:${bracketed[2] ?? "5432"}`;
      const [host, port] = h.split(":");
      return `${host || "localhost"}:${port || "5432"}`;
    },
  );
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

/** Extra file grants for one run: the directories its configuration names. */
export interface PathGrants {
  reads: string[];
  writes: string[];
}

/** A path as granted: absolute, with links resolved where it exists. */
async function grantable(path: string): Promise<string[]> {
  const absolute = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const real = await Deno.realPath(absolute).catch(() => undefined);
  return real && real !== absolute ? [absolute, real] : [absolute];
}

/**
 * The read and write grants a run needs beyond the defaults, derived from its
 * resolved configuration the way the network grant is: the data and log
 * directories (read and write), the config file and the `--input` directory
 * (read). Links are resolved, so the grant covers what the path really is;
 * nothing else is granted.
 */
export async function pathGrants(
  config: { dataDir: string; logDir: string },
  args: string[],
  configFile?: string,
): Promise<PathGrants> {
  const writes = [
    ...await grantable(config.dataDir),
    ...await grantable(config.logDir),
  ];
  const input = flagValue(args, "input");
  const reads = [
    ...writes,
    ...(configFile ? await grantable(configFile) : []),
    ...(input ? await grantable(input) : []),
  ];
  return { reads, writes };
}

/** The `deno run` arguments for `script` under this configuration. */
export function launchArgs(
  script: string,
  args: string[],
  config: { databaseUrl?: string; webhookUrl?: string },
  grants: PathGrants = { reads: [], writes: [] },
): string[] {
  const spec = SCRIPTS[script];
  if (!spec) throw new Error(`launch: unknown script ${script}`);
  // Through the one CLI, the two servers listen locally.
  const serving = spec.listen || script === "main.ts" &&
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
    `--allow-read=${[...new Set([...READS, ...grants.reads])].join(",")}`,
    `--allow-write=${
      [...new Set(["data", "logs", ...grants.writes])].join(",")
    }`,
    `--allow-env=${ENV_VARS.join(",")}`,
    ...(net.length ? [`--allow-net=${[...new Set(net)].join(",")}`] : []),
    "--allow-sys=hostname", // the lock file names its holder's host
    script,
    ...args,
  ];
}

/** `--name value` or `--name=value` from command-line arguments. */
export function flagValue(args: string[], name: string): string | undefined {
  return takeFlag(args, name).value;
}

/**
 * `args` without `--name value` / `--name=value`, and the value (the last
 * one given, as parseArgs reads it).
 */
export function takeFlag(
  args: string[],
  name: string,
): { rest: string[]; value?: string } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}` && i + 1 < args.length) {
      value = args[++i];
    } else if (args[i].startsWith(`--${name}=`)) {
      value = args[i].slice(name.length + 3);
    } else rest.push(args[i]);
  }
  return { rest, value };
}

/** The permission flags (`--allow-*`, `--unstable-*`) among `deno run` arguments. */
export function permissionFlags(args: string[]): string[] {
  return args.filter((a) =>
    a.startsWith("--allow") || a.startsWith("--unstable")
  );
}
