#!/usr/bin/env -S deno run --allow-read=data,logs,node_modules --allow-write=data,logs --allow-env --allow-net
/**
 * `ecom <subcommand> [options]`: one CLI over every stage and task.
 *
 * @module
 */
import { STEPS } from "./tasks/pipeline.ts";
import * as cleanup from "./stages/cleanup.ts";
import * as monitor from "./stages/monitor.ts";
import * as pipeline from "./tasks/pipeline_cli.ts";
import * as schedule from "./tasks/schedule.ts";
import * as dbServe from "./tasks/db_serve.ts";
import * as serveDashboard from "./tasks/serve_dashboard.ts";
import { type Command, VERSION } from "./lib/cli.ts";
import { closest } from "./lib/suggest.ts";

interface Entry {
  command: Command;
  main(args: string[]): Promise<number>;
}

/**
 * Subcommands: the pipeline's steps in order (each step names its stage's
 * command in tasks/pipeline.ts, so a new stage is registered once), then the
 * other commands.
 */
export const SUBCOMMANDS: Record<string, Entry> = {
  ...Object.fromEntries(STEPS.flatMap((s) => s.cli ? [[s.name, s.cli]] : [])),
  monitor,
  cleanup,
  pipeline,
  schedule,
  "db:serve": dbServe,
  "dashboard:serve": serveDashboard,
};

function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((k) => k.length)) + 2;
  return [
    "ecom - e-commerce data pipeline: CSV -> staging -> production -> warehouse -> analytics",
    "",
    "Usage: ecom <subcommand> [options]     (ecom <subcommand> --help for its options)",
    "       ecom --version",
    "",
    "Subcommands:",
    ...Object.entries(SUBCOMMANDS).map(([name, e]) =>
      `  ${name.padEnd(width)}${e.command.summary}`
    ),
    "",
    "Database: embedded PGlite in DATA_DIR/pglite, or a PostgreSQL server when",
    "DATABASE_URL (or PGHOST) is set.",
  ].join("\n");
}

/** Dispatches to a subcommand; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(`ecom-pipeline ${VERSION}`);
    return 0;
  }
  const entry = SUBCOMMANDS[name];
  if (!entry) {
    const guess = closest(name, Object.keys(SUBCOMMANDS));
    console.error(
      guess
        ? `ecom: unknown subcommand "${name}"; did you mean "${guess}"?\n  see: ecom --help`
        : `ecom: unknown subcommand "${name}"\n\n${usage()}`,
    );
    return 2;
  }
  return await entry.main(rest);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
