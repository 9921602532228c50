/**
 * Stopping at a safe point. A signal (SIGINT, SIGTERM), the loss of the
 * parent process (the launcher or `deno task` killed with -9) or the loss of
 * the server lock marks the process interrupted. From then on every database
 * statement refuses to start (the `Db` wrappers ask {@linkcode
 * throwIfInterrupted}), statements in flight on a server are cancelled, and
 * the open transaction rolls back as the error unwinds. The orchestrator then
 * records the run as interrupted, inside {@linkcode finishing}, and the CLI
 * exits 130 (SIGINT) or 143 (SIGTERM). A second signal exits at once.
 *
 * @module
 */
import { PipelineError } from "./errors.ts";

/** Why the process is stopping. */
export type InterruptCause = "SIGINT" | "SIGTERM" | "ORPHANED" | "LOCK_LOST";

const EXIT_CODES: Record<InterruptCause, number> = {
  SIGINT: 130,
  SIGTERM: 143,
  ORPHANED: 143,
  LOCK_LOST: 1,
};

/** Thrown at the first safe point after an interruption. */
export class InterruptedError extends PipelineError {
  readonly cause_: InterruptCause;
  readonly exitCode: number;
  constructor(cause: InterruptCause, detail?: string) {
    super(
      cause === "LOCK_LOST" ? "LOCK_LOST" : "INTERRUPTED",
      detail ??
        `interrupted by ${
          cause === "ORPHANED" ? "the loss of the parent process" : cause
        }`,
    );
    this.cause_ = cause;
    this.exitCode = EXIT_CODES[cause];
  }
}

let state: InterruptedError | undefined;
let finishingDepth = 0;
const listeners = new Set<() => void>();

/** Marks the process interrupted and tells the listeners (idempotent). */
export function interrupt(cause: InterruptCause, detail?: string): void {
  if (state) return;
  state = new InterruptedError(cause, detail);
  for (const listener of listeners) {
    try {
      listener();
    } catch { /* a listener never stops the others */ }
  }
}

/** The interruption, if any. */
export function interruption(): InterruptedError | undefined {
  return state;
}

/**
 * Throws the interruption unless bookkeeping is running in {@linkcode finishing}.
 *
 * @example
 * ```ts
 * for (const statement of statements) {
 *   throwIfInterrupted(); // a safe point
 *   await db.exec(statement);
 * }
 * ```
 */
export function throwIfInterrupted(): void {
  if (state && finishingDepth === 0) throw state;
}

/**
 * Runs `fn` with statements allowed again: recording how a run ended.
 *
 * @example
 * ```ts
 * await finishing(() => db.query("UPDATE ops.pipeline_runs SET status = 'interrupted' WHERE run_id = $1", [runId]));
 * ```
 */
export async function finishing<T>(fn: () => Promise<T>): Promise<T> {
  finishingDepth++;
  try {
    return await fn();
  } finally {
    finishingDepth--;
  }
}

/** Calls `fn` when the process is interrupted; returns the unsubscribe. */
export function onInterrupt(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Forgets an interruption (tests run many "processes" in one). */
export function resetInterrupt(): void {
  state = undefined;
  finishingDepth = 0;
}

let installed = false;

/**
 * Installs the SIGINT/SIGTERM handlers and the orphan watch, once per
 * process. A second signal, or a run that has not reached a safe point
 * within `graceMs`, exits at once with the signal's code: the database
 * rolls back an unfinished transaction on its own.
 */
export function installInterruptHandlers(graceMs = 60_000): void {
  if (installed) return;
  installed = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, () => {
        if (state) Deno.exit(state.exitCode);
        interrupt(signal);
        const timer = setTimeout(() => Deno.exit(EXIT_CODES[signal]), graceMs);
        Deno.unrefTimer(timer);
      });
    } catch { /* no signals on this platform */ }
  }
  watchParent(() => {
    interrupt("ORPHANED");
    const timer = setTimeout(() => Deno.exit(143), graceMs);
    Deno.unrefTimer(timer);
  });
  containDriverCrash();
}

/**
 * Calls `onOrphaned` once if this process is re-parented: a parent killed
 * with -9 cannot forward anything, so its children notice by themselves.
 * The watch never keeps the process alive; the returned function stops it.
 */
export function watchParent(onOrphaned: () => void): () => void {
  const parent = Deno.ppid;
  const watch = setInterval(() => {
    if (Deno.ppid !== parent) {
      clearInterval(watch);
      onOrphaned();
    }
  }, 500);
  Deno.unrefTimer(watch);
  return () => clearInterval(watch);
}

/**
 * postgres.js 3.4.9 can throw from a timer after a connection closed
 * (`socket.write` on null, porsager/postgres#1154, #1208; 3.4.10 still has
 * it). By then the query on that connection has already failed with
 * CONNECTION_CLOSED, which the retry handles; the stray throw itself carries
 * no information, so it is swallowed instead of ending the process.
 */
function containDriverCrash(): void {
  globalThis.addEventListener("error", (event) => {
    const err = event.error as Error | undefined;
    if (
      err instanceof TypeError &&
      /reading 'write'/.test(err.message) &&
      /postgres/.test(err.stack ?? "")
    ) {
      event.preventDefault();
    }
  });
}
