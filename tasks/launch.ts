#!/usr/bin/env -S deno run --allow-read=ecom.config.json --allow-env --allow-run=deno
/**
 * Runs a database task with the network narrowed to what its configuration
 * needs (see lib/launch_plan.ts): `deno task quality` on the embedded
 * database gets no network at all; on a server, only the server's host:port.
 * Exit code and signals pass through.
 *
 * Usage: deno run <launcher permissions> tasks/launch.ts <script> [args...]
 *
 * @module
 */
import { loadConfig } from "../lib/config.ts";
import {
  flagValue,
  launchArgs,
  type PathGrants,
  pathGrants,
  SCRIPTS,
  takeFlag,
} from "../lib/launch_plan.ts";
import { readEnv } from "../lib/env.ts";
import { watchParent } from "../lib/interrupt.ts";

/** Launches `script`; resolves with its exit code. */
export async function launch(script: string, args: string[]): Promise<number> {
  if (!SCRIPTS[script]) {
    console.error(
      `launch: unknown script "${script}" (known: ${
        Object.keys(SCRIPTS).join(", ")
      })`,
    );
    return 2;
  }
  let databaseUrl: string | undefined;
  let webhookUrl: string | undefined;
  let grants: PathGrants | undefined;
  const configFile = flagValue(args, "config") ?? readEnv("ECOM_CONFIG");
  try {
    const config = await loadConfig({
      configFile,
      flags: {
        databaseUrl: flagValue(args, "database-url"),
        dataDir: flagValue(args, "data-dir"),
        logDir: flagValue(args, "log-dir"),
      },
    });
    databaseUrl = config.databaseUrl;
    webhookUrl = config.monitor.webhookUrl;
    grants = await pathGrants(config, args, configFile);
  } catch {
    // A configuration error is reported by the task itself, with its source;
    // it runs without network until the configuration is valid.
  }
  // A URL given as --database-url travels to the task in its environment,
  // never in its argv, where `ps` would show the password to every user.
  const { rest, value: url } = takeFlag(args, "database-url");
  const child = new Deno.Command("deno", {
    args: launchArgs(script, rest, { databaseUrl, webhookUrl }, grants),
    env: url ? { DATABASE_URL: url } : undefined,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const forward = (signal: Deno.Signal) => () => {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, forward(signal));
  }
  // `deno task` killed with -9: the launcher stops the task as if told to
  // (the task, in turn, watches this launcher the same way).
  const unwatch = watchParent(forward("SIGTERM"));
  const status = await child.status;
  unwatch();
  return status.code;
}

if (import.meta.main) Deno.exit(await launch(Deno.args[0], Deno.args.slice(1)));
