/**
 * Progress for long work: a redrawn bar when stdout is a terminal, plain
 * lines (at most one every few seconds) when it is a file or a pipe, so CI
 * logs stay readable.
 *
 * @module
 */

/** A progress reporter for one task. */
export interface Progress {
  /**
   * Sets the amount done so far (same unit as `total`), the total if it
   * changed, and what is under way.
   */
  update(done: number, total?: number, note?: string): void;
  /** Finishes the bar; plain mode prints nothing more (the stage prints its summary). */
  done(): void;
}

const encoder = new TextEncoder();

/** Options for {@linkcode progress}. */
export interface ProgressOptions {
  /** Force bar or plain output. @default Deno.stdout.isTerminal() */
  tty?: boolean;
  /** Seconds between plain lines. @default 5 */
  intervalSeconds?: number;
  /** Formats amounts (e.g. bytes as MiB). */
  format?: (n: number) => string;
}

/**
 * Starts reporting progress of `label` towards `total`.
 *
 * @example
 * ```ts
 * const p = progress("customers.csv", 1000);
 * p.update(500);
 * p.done();
 * ```
 */
export function progress(
  label: string,
  total: number,
  options: ProgressOptions = {},
): Progress {
  const tty = options.tty ?? safeIsTerminal();
  const interval = (options.intervalSeconds ?? 5) * 1000;
  const fmt = options.format ?? ((n: number) => n.toLocaleString("en-US"));
  const start = performance.now();
  let lastDraw = 0;
  let current = 0;
  let note = "";
  const write = (s: string) => Deno.stdout.writeSync(encoder.encode(s));

  const line = (final: boolean) => {
    const pct = total > 0 ? Math.min(1, current / total) : 1;
    const secs = (performance.now() - start) / 1000;
    if (tty) {
      const width = 28;
      const fill = Math.round(pct * width);
      const bar = "#".repeat(fill) + "-".repeat(width - fill);
      write(
        `\r\x1b[2K${label} [${bar}] ${(pct * 100).toFixed(0).padStart(3)}% ${
          fmt(current)
        }/${fmt(total)} ${secs.toFixed(1)}s${note && !final ? ` ${note}` : ""}${
          final ? "\n" : ""
        }`,
      );
    } else if (!final) {
      write(
        `${label}: ${(pct * 100).toFixed(0)}% (${fmt(current)}/${
          fmt(total)
        }) after ${secs.toFixed(0)}s${note ? `, at ${note}` : ""}\n`,
      );
    }
  };

  return {
    update(n, newTotal, newNote) {
      current = n;
      if (newNote !== undefined) note = newNote;
      if (newTotal !== undefined) total = newTotal;
      const now = performance.now();
      if (tty ? now - lastDraw > 100 : now - lastDraw > interval) {
        if (!tty && lastDraw === 0) { // first plain line only after one interval
          lastDraw = now;
          return;
        }
        lastDraw = now;
        line(false);
      }
    },
    done() {
      current = total;
      if (tty) line(true);
    },
  };
}

function safeIsTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}
