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
import { flagValue, launchArgs, SCRIPTS } from "../lib/launch_plan.ts";

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
  try {
    const config = await loadConfig({
      configFile: flagValue(args, "config"),
      flags: { databaseUrl: flagValue(args, "database-url") },
    });
    databaseUrl = config.databaseUrl;
    webhookUrl = config.monitor.webhookUrl;
  } catch {
    // A configuration error is reported by the task itself, with its source;
    // it runs without network until the configuration is valid.
  }
  const child = new Deno.Command("deno", {
    args: launchArgs(script, args, { databaseUrl, webhookUrl }),
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
  const status = await child.status;
  return status.code;
}

if (import.meta.main) Deno.exit(await launch(Deno.args[0], Deno.args.slice(1)));
