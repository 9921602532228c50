/**
 * Errors the pipeline expects and reports as one clear line, without a stack
 * trace. Anything else that escapes a stage is a bug and keeps its stack.
 *
 * @module
 */

/** A failure caused by input, configuration or the environment, not by a bug. */
export class PipelineError extends Error {
  /** Machine-readable code, e.g. `CSV_MALFORMED`, `CONFIG_INVALID`. */
  readonly code: string;
  /** What the user can do about it, printed after the message. */
  readonly hint?: string;

  constructor(
    code: string,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(message, { cause: options?.cause });
    this.name = "PipelineError";
    this.code = code;
    this.hint = options?.hint;
  }
}

/** Formats any thrown value as the message a user should see. */
export function describeError(err: unknown): string {
  if (err instanceof PipelineError) {
    return err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
