/**
 * Retries with exponential backoff and jitter, for transient failures only:
 * a lost connection or a serialization conflict is worth another try; a
 * constraint violation, a failed quality gate or a bad CSV never is.
 *
 * @module
 */
import { PipelineError } from "./errors.ts";

/** How to retry. */
export interface RetryPolicy {
  /** Attempts in all, including the first. @default 3 */
  maxAttempts: number;
  /** Delay before the first retry, in ms. @default 500 */
  baseDelayMs: number;
  /** Each retry waits `factor` times longer. @default 2 */
  factor: number;
  /** No wait exceeds this, in ms. @default 10000 */
  maxDelayMs: number;
  /** Share of the delay that is random (0 = none, 1 = full jitter). @default 0.2 */
  jitter: number;
}

// Connection-level errors from Deno/Node sockets and postgres.js.
const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "DB_UNREACHABLE",
]);
// SQLSTATEs: serialization failure, deadlock, lock not available, too many
// connections, admin/crash shutdown, cannot connect now.
const TRANSIENT_SQLSTATES = new Set([
  "40001",
  "40P01",
  "55P03",
  "53300",
  "57P01",
  "57P02",
  "57P03",
]);

/**
 * Whether `err` is worth retrying.
 *
 * @example
 * ```ts
 * isTransient({ code: "40P01" }); // true: a deadlock is worth another try
 * isTransient({ code: "23505" }); // false: a duplicate key is not
 * ```
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof PipelineError) return err.code === "DB_UNREACHABLE";
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== "string") {
    return err instanceof Deno.errors.ConnectionRefused ||
      err instanceof Deno.errors.ConnectionReset ||
      err instanceof Deno.errors.TimedOut;
  }
  return TRANSIENT_CODES.has(code) || TRANSIENT_SQLSTATES.has(code) ||
    code.startsWith("08");
}

/**
 * The wait before retry number `retry` (1-based): base * factor^(retry-1),
 * capped at the maximum, with the jitter share randomised.
 *
 * @example
 * ```ts
 * backoffDelay(3, { maxAttempts: 5, baseDelayMs: 500, factor: 2, maxDelayMs: 10_000, jitter: 0 }); // 2000
 * ```
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy,
  random = Math.random(),
): number {
  const raw = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * policy.factor ** (retry - 1),
  );
  return Math.round(raw * (1 - policy.jitter + policy.jitter * random));
}

/** Options for {@linkcode withRetry}. */
export interface WithRetryOptions {
  /** Called before each retry with the error and the wait. */
  onRetry?: (
    err: unknown,
    retry: number,
    delayMs: number,
  ) => void | Promise<void>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Runs `fn`, retrying transient failures. Returns its result and the number
 * of retries; throws the last error (with `retries` set) otherwise.
 *
 * @example
 * ```ts
 * const { value, retries } = await withRetry(() => db.query("SELECT 1"), config.pipeline.retry);
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  options: WithRetryOptions = {},
): Promise<{ value: T; retries: number }> {
  const sleep = options.sleep ??
    ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1;; attempt++) {
    try {
      return { value: await fn(attempt), retries: attempt - 1 };
    } catch (err) {
      if (attempt >= policy.maxAttempts || !isTransient(err)) {
        if (err && typeof err === "object") {
          (err as { retries?: number }).retries = attempt - 1;
        }
        throw err;
      }
      const delay = backoffDelay(
        attempt,
        policy,
        (options.random ?? Math.random)(),
      );
      await options.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}
