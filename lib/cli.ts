/**
 * Command-line plumbing shared by every stage: flag parsing with
 * `node:util` parseArgs, the global options, `--help`, configuration and
 * logging set-up, and turning failures into one line and an exit code.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Config, loadConfig } from "./config.ts";
import { describeError, PipelineError } from "./errors.ts";
import { log, setupLogging, shutdownLogging } from "./log.ts";
import { type Db, openDb } from "./db.ts";
import { maskSecrets } from "./mask.ts";
import { closest } from "./suggest.ts";
import denoJson from "../deno.json" with { type: "json" };
import {
  installInterruptHandlers,
  InterruptedError,
  interruption,
} from "./interrupt.ts";
import { withPipelineLock } from "./lock.ts";

/** One command-line flag. */
export interface Flag {
  name: string;
  type: "string" | "number" | "boolean";
  help: string;
  /** Dotted config path this flag overrides (`generate.seed`). */
  config?: string;
  /** Shown in help as the default. */
  defaultText?: string;
  /** Value name in help, e.g. `DIR`. */
  arg?: string;
}

/** A runnable command: a stage or a task. */
export interface Command {
  name: string;
  summary: string;
  /** Extra help text after the flags. */
  details?: string;
  /** Takes positional arguments (most commands take none). */
  positionals?: boolean;
  flags: Flag[];
  /**
   * The command writes the database or the data directory: it runs under the
   * pipeline lock (`DATA_DIR/pipeline.lock`, plus the advisory lock on a
   * server), so no two writers ever overlap.
   */
  writes?: boolean;
}

/** Flags every command understands. */
export const GLOBAL_FLAGS: Flag[] = [
  {
    name: "data-dir",
    type: "string",
    config: "dataDir",
    arg: "DIR",
    help:
      "raw files in DIR/raw, reports in DIR/processed, embedded db in DIR/pglite",
    defaultText: "data",
  },
  {
    name: "log-dir",
    type: "string",
    config: "logDir",
    arg: "DIR",
    help: "where JSON-lines logs are written",
    defaultText: "logs",
  },
  {
    name: "database-url",
    type: "string",
    config: "databaseUrl",
    arg: "URL",
    help:
      "PostgreSQL server (also DATABASE_URL or PGHOST...); embedded db if unset",
  },
  {
    name: "config",
    type: "string",
    arg: "FILE",
    help: "JSON config file (also ECOM_CONFIG)",
    defaultText: "ecom.config.json if present",
  },
  {
    name: "log-level",
    type: "string",
    config: "logLevel",
    arg: "LEVEL",
    help: "console log level: debug, info, warning, error",
    defaultText: "info",
  },
  {
    name: "wait",
    type: "number",
    arg: "SECONDS",
    help:
      "when another run holds the lock, wait this long for it instead of exiting 1",
    defaultText: "0",
  },
  { name: "help", type: "boolean", help: "show this help (also -h)" },
  { name: "version", type: "boolean", help: "print the version and exit" },
];

/** The toolkit's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** What a command body receives. */
export interface CommandContext {
  config: Config;
  /** Parsed flag values by flag name (numbers already converted). */
  values: Record<string, string | number | boolean | undefined>;
  positionals: string[];
  /** Opens the database on first use; closed by {@linkcode runCommand}. */
  db(): Promise<Db>;
}

/** Renders `--help` for a command. */
export function helpText(cmd: Command, usagePrefix = "ecom"): string {
  const all = [...cmd.flags, ...GLOBAL_FLAGS];
  const left = (f: Flag) => `  --${f.name}${f.arg ? ` ${f.arg}` : ""}`;
  const width = Math.max(...all.map((f) => left(f).length)) + 2;
  const rows = (flags: Flag[]) =>
    flags.map((f) =>
      `${left(f).padEnd(width)}${f.help}${
        f.defaultText ? ` (default: ${f.defaultText})` : ""
      }`
    ).join("\n");
  return [
    `${usagePrefix} ${cmd.name} - ${cmd.summary}`,
    "",
    `Usage: ${usagePrefix} ${cmd.name} [options]`,
    "",
    cmd.flags.length ? `Options:\n${rows(cmd.flags)}\n` : "",
    `Global options:\n${rows(GLOBAL_FLAGS)}`,
    cmd.details ? `\n${cmd.details}` : "",
  ].filter((s) => s !== "").join("\n");
}

/**
 * Parses `args` for `cmd`.
 *
 * @throws {PipelineError} `USAGE` for unknown flags or missing values.
 */
export function parseCommand(cmd: Command, args: string[]) {
  const all = [...cmd.flags, ...GLOBAL_FLAGS];
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string }
  > = {};
  for (const f of all) {
    options[f.name] = { type: f.type === "boolean" ? "boolean" : "string" };
  }
  options.help.short = "h";
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(args, all),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw usageError(cmd, all, err as Error);
  }
  if (parsed.positionals.length && !cmd.positionals) {
    const [first] = parsed.positionals;
    const guess = first.startsWith("-") ? undefined : closest(
      first,
      all.map((f) => f.name),
    );
    throw new PipelineError(
      "USAGE",
      `unexpected argument "${first}"${
        guess ? ` (did you mean --${guess}?)` : ""
      }`,
      { hint: `see: ecom ${cmd.name} --help` },
    );
  }
  const values: Record<string, string | number | boolean | undefined> = {};
  const flags: Record<string, unknown> = {};
  for (const f of all) {
    let v: string | number | boolean | undefined = parsed.values[f.name] as
      | string
      | boolean
      | undefined;
    if (f.type === "number" && typeof v === "string") {
      const n = Number(v);
      if (v.trim() === "" || Number.isNaN(n)) {
        throw new PipelineError(
          "USAGE",
          `--${f.name} must be a number: got ${JSON.stringify(v)}`,
        );
      }
      v = n;
    }
    values[f.name] = v;
    if (f.config && v !== undefined) flags[f.config] = v;
  }
  return { values, flags, positionals: parsed.positionals };
}

/**
 * Runs a command as a program: parses flags, loads configuration, sets up
 * logging, runs `body`, closes the database, and maps failures to a one-line
 * message and exit code 1 (2 for usage errors). Returns the exit code.
 *
 * @example
 * ```ts
 * const code = await runCommand(command, Deno.args, async (ctx) => {
 *   await runIngest(ctx.config, await ctx.db());
 * });
 * Deno.exit(code);
 * ```
 */
export async function runCommand(
  cmd: Command,
  args: string[],
  body: (ctx: CommandContext) => Promise<number | void>,
): Promise<number> {
  let db: Db | undefined;
  try {
    const { values, flags, positionals } = parseCommand(cmd, args);
    if (values.help) {
      console.log(helpText(cmd));
      return 0;
    }
    if (values.version) {
      console.log(`ecom-pipeline ${VERSION}`);
      return 0;
    }
    const config = await loadConfig({
      flags,
      configFile: values.config as string | undefined,
      flagNames: Object.fromEntries(
        [...cmd.flags, ...GLOBAL_FLAGS].filter((f) => f.config).map((
          f,
        ) => [f.config!, f.name]),
      ),
    });
    await setupLogging({ logDir: config.logDir, level: config.logLevel });
    installInterruptHandlers();
    const ctx: CommandContext = {
      config,
      values,
      positionals,
      db: async () => db ??= await openDb(config),
    };
    const wait = values.wait as number | undefined;
    if (wait !== undefined && (!(wait >= 0) || wait > 86_400)) {
      throw new PipelineError(
        "USAGE",
        `--wait must be a number of seconds from 0 to 86400: got ${wait}`,
      );
    }
    const code = cmd.writes
      ? await withPipelineLock(config, cmd.name, () => body(ctx), {
        waitMs: (wait ?? 0) * 1000,
      })
      : await body(ctx);
    const stopped = interruption();
    if (stopped) {
      console.error(`${cmd.name}: ${stopped.message}`);
      return stopped.exitCode;
    }
    return code ?? 0;
  } catch (err) {
    const stopped = err instanceof InterruptedError ? err : interruption();
    if (stopped) {
      try {
        log("cli").warn("{command}: {message}", {
          command: cmd.name,
          message: stopped.message,
        });
      } catch { /* logging not set up yet */ }
      console.error(`${cmd.name}: ${stopped.message}`);
      return stopped.exitCode;
    }
    const message = formatFailure(err);
    try {
      log("failure").error("{command}: {message}", {
        command: cmd.name,
        message,
        stack: stackOf(err),
      });
    } catch { /* logging not set up yet */ }
    console.error(`${cmd.name}: error: ${message}`);
    return err instanceof PipelineError && err.code === "USAGE" ? 2 : 1;
  } finally {
    await db?.close().catch(() => {});
    await shutdownLogging();
  }
}

/**
 * `--scale -1` is a value to a person, an ambiguous flag to parseArgs: a
 * value flag followed by a negative number becomes `--scale=-1`, so the
 * value is judged (and refused with its own message) instead.
 */
function joinNegativeValues(args: string[], flags: Flag[]): string[] {
  const valued = new Set(
    flags.filter((f) => f.type !== "boolean").map((f) => `--${f.name}`),
  );
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (valued.has(args[i]) && /^-\d/.test(args[i + 1] ?? "")) {
      out.push(`${args[i]}=${args[++i]}`);
    } else out.push(args[i]);
  }
  return out;
}

/** parseArgs' complaint, in our words, with the likely meant flag. */
function usageError(cmd: Command, flags: Flag[], err: Error): PipelineError {
  const unknown = err.message.match(/Unknown option '(-{1,2})([^']+)'/);
  if (unknown) {
    const guess = closest(unknown[2], flags.map((f) => f.name));
    return new PipelineError(
      "USAGE",
      `unknown option ${unknown[1]}${unknown[2]}${
        guess ? ` (did you mean --${guess}?)` : ""
      }`,
      { hint: `see: ecom ${cmd.name} --help` },
    );
  }
  const missing = err.message.match(/Option '([^ ']+)[^']*' argument missing/);
  if (missing) {
    return new PipelineError("USAGE", `${missing[1]} needs a value`, {
      hint: `see: ecom ${cmd.name} --help`,
    });
  }
  return new PipelineError("USAGE", err.message, {
    hint: `see: ecom ${cmd.name} --help`,
  });
}

/**
 * One line describing a failure: our errors, database errors, permission errors.
 *
 * @example
 * ```ts
 * formatFailure(new PipelineError("INPUT", "data/raw/customers.csv: file not found"));
 * ```
 */
export function formatFailure(err: unknown): string {
  if (err instanceof Deno.errors.NotCapable) {
    return `${err.message} (the task was not granted this permission; see README "Permissions")`;
  }
  const e = err as {
    code?: string;
    message?: string;
    detail?: string;
    where?: string;
    table_name?: string;
    table?: string;
  };
  if (
    !(err instanceof PipelineError) && typeof e?.code === "string" &&
    /^[0-9A-Z]{5}$/.test(e.code)
  ) {
    const table = e.table_name ?? e.table;
    return maskSecrets(
      `database error ${e.code}${
        table ? ` on table ${table}` : ""
      }: ${e.message}${e.detail ? ` (${e.detail})` : ""}${
        e.where ? ` [${e.where}]` : ""
      }`,
    );
  }
  return maskSecrets(describeError(err));
}

function stackOf(err: unknown): string | undefined {
  return err instanceof PipelineError ? undefined : (err as Error)?.stack;
}
