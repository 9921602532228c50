/**
 * Errors the pipeline expects and reports as one clear line, without a stack
 * trace. Anything else that escapes a stage is a bug and keeps its stack.
 *
 * @module
 */

/**
 * Every failure the toolkit reports on purpose, by code: a closed set, so a
 * program reading reports or logs can rely on it (docs/errors.md lists what
 * each means and what to do). A new failure kind is added here first.
 */
export const ERROR_CODES = {
  USAGE: "a command-line mistake: unknown flag, bad value, typo (exit 2)",
  CONFIG_INVALID: "the configuration file or environment holds a bad value",
  PERMISSION: "the task was not granted a path it needs, or a link leads out",
  INPUT: "an input file is missing or not a file",
  CSV_HEADER: "a CSV header lacks a contract column or repeats one",
  CSV_MALFORMED: "a CSV record does not parse (file and line named)",
  COPY_FAILED: "the server refused a COPY without saying why",
  LOAD_COUNT_MISMATCH: "a load copied a different number of rows than it read",
  DB_UNREACHABLE: "the PostgreSQL server cannot be reached (retried first)",
  EMBEDDED_UNAVAILABLE: "the embedded database's files are not here",
  NOT_SET_UP: "no pipeline has set up this database yet",
  LOCKED: "another command holds the lock (or the embedded database)",
  LOCK_LOST: "the server lock was lost and could not be taken again",
  INTERRUPTED: "stopped by a signal or the loss of the parent process",
  QUALITY_GATE: "the quality gate failed: a check over its threshold",
  VOLUME_GUARD: "a full load would shrink customers or products: truncated?",
  RECONCILIATION: "staging rows did not reconcile with production and rejects",
  WAREHOUSE_FACTS: "production rows found no dimension row",
  SCD2_INVARIANT: "a customer or product would have two current versions",
  RESUME: "--resume found no failed, interrupted or crashed run",
  BI_ROLE: "the reporting role is missing and may not be created",
  BENCH: "the benchmark's baseline (psql) could not run",
} as const;

/** One of {@linkcode ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * A failure caused by input, configuration or the environment, not by a bug.
 *
 * @example
 * ```ts
 * throw new PipelineError("INPUT", "data/raw/customers.csv: file not found", {
 *   hint: "run deno task generate first",
 * });
 * ```
 */
export class PipelineError extends Error {
  /** Machine-readable code from the closed set {@linkcode ERROR_CODES}. */
  readonly code: ErrorCode;
  /** What the user can do about it, printed after the message. */
  readonly hint?: string;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(message, { cause: options?.cause });
    this.name = "PipelineError";
    this.code = code;
    this.hint = options?.hint;
  }
}

/**
 * Formats any thrown value as the message a user should see.
 *
 * @example
 * ```ts
 * describeError(new PipelineError("LOCKED", "another run holds data/pipeline.lock", { hint: "wait" }));
 * // "another run holds data/pipeline.lock\n  hint: wait"
 * ```
 */
export function describeError(err: unknown): string {
  if (err instanceof PipelineError) {
    return err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
