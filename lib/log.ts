/**
 * Logging through LogTape: readable lines on the console, JSON lines in
 * `LOG_DIR/ecom.jsonl`. Both sinks mask credentials in URLs, so a connection
 * string logged by mistake still never carries its password.
 *
 * @module
 */
import {
  configure,
  getConsoleSink,
  getLogger,
  jsonLinesFormatter,
  type Logger,
  type LogLevel,
  type LogRecord,
  reset,
  type Sink,
  withContext,
} from "@logtape/logtape";
import { AsyncLocalStorage } from "node:async_hooks";
import { getRotatingFileSink } from "@logtape/file";
import { maskSecrets } from "./mask.ts";
import { PipelineError } from "./errors.ts";

export type { Logger };

/** Options for {@linkcode setupLogging}. */
export interface LoggingOptions {
  logDir: string;
  /** Console threshold; the file always records from `debug`. */
  level: LogLevel;
  /** Log file name inside `logDir`. @default "ecom.jsonl" */
  fileName?: string;
}

let configured = false;

/**
 * Configures LogTape once per process (the orchestrator runs stages
 * in-process, so later calls are no-ops).
 */
export async function setupLogging(options: LoggingOptions): Promise<void> {
  if (configured) return;
  const file = `${options.logDir}/${options.fileName ?? "ecom.jsonl"}`;
  try {
    await Deno.mkdir(options.logDir, { recursive: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw new PipelineError(
        "PERMISSION",
        `Not allowed to write the log directory ${options.logDir}`,
        {
          hint:
            `grant --allow-write=${options.logDir} or set --log-dir to a granted directory`,
        },
      );
    }
    throw err;
  }
  // Unbuffered: each record reaches the file as it is logged, so a process
  // killed with -9 loses no line. Rotated at 10 MiB, five files kept, so a
  // scheduler running for months never fills the disk.
  const fileSink = getRotatingFileSink(file, {
    formatter: (record) => maskSecrets(jsonLinesFormatter(record)),
    bufferSize: 0,
    maxSize: 10 * 1024 * 1024,
    maxFiles: 5,
  });
  await configure({
    reset: true,
    // Properties set with withLogContext (the run id) reach every record
    // logged inside, in whichever module.
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: {
      console: filterLevel(
        getConsoleSink({ formatter: consoleFormatter }),
        options.level,
      ),
      file: fileSink,
    },
    loggers: [
      { category: ["ecom"], sinks: ["console", "file"], lowestLevel: "debug" },
      // Failures are printed once by the CLI; the log file keeps the details.
      {
        category: ["ecom", "failure"],
        sinks: ["file"],
        parentSinks: "override",
        lowestLevel: "debug",
      },
      {
        category: ["logtape", "meta"],
        sinks: ["console"],
        lowestLevel: "warning",
      },
    ],
  });
  configured = true;
}

/** Flushes and closes the sinks (file handles) before exit. */
export async function shutdownLogging(): Promise<void> {
  if (!configured) return;
  configured = false;
  await reset();
}

/**
 * Runs `fn` with `properties` on every log record it writes, e.g. the run id,
 * so each line of the JSON log says which run it belongs to.
 */
export function withLogContext<T>(
  properties: Record<string, unknown>,
  fn: () => T,
): T {
  return withContext(properties, fn);
}

/** Returns the logger for one component, e.g. `log("ingest")`. */
export function log(component: string): Logger {
  return getLogger(["ecom", component]);
}

const ORDER: LogLevel[] = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
];

function filterLevel(sink: Sink, level: LogLevel): Sink {
  const min = ORDER.indexOf(level);
  return (record) => {
    if (ORDER.indexOf(record.level) >= min) sink(record);
  };
}

function consoleFormatter(record: LogRecord): readonly unknown[] {
  let text = "";
  for (const part of record.message) {
    text += typeof part === "string" ? part : formatValue(part);
  }
  const tag = record.level === "info" ? "" : `${record.level.toUpperCase()} `;
  const component = record.category.slice(1).join(".");
  return [maskSecrets(`${tag}[${component}] ${text}`)];
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return value.toLocaleString("en-US");
  return JSON.stringify(value);
}
