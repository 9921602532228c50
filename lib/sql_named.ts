/**
 * Named statements in one `.sql` file: each starts with a `-- name: NAME`
 * line and runs on its own (so it can take parameters and return rows).
 *
 * @module
 */
import type { Db, Row } from "./db.ts";
import type { Logger } from "./log.ts";
import { progress } from "./progress.ts";

/**
 * Splits `text` into its named statements, in file order.
 *
 * @throws {Error} when a name repeats or text precedes the first name.
 */
export function namedStatements(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(/^--\s*name:\s*(\S+)\s*$/m);
  if (parts[0].replace(/--.*$/gm, "").trim() !== "") {
    throw new Error("SQL before the first '-- name:' line");
  }
  for (let i = 1; i < parts.length; i += 2) {
    if (out.has(parts[i])) {
      throw new Error(`statement ${parts[i]} is defined twice`);
    }
    out.set(parts[i], parts[i + 1].trim());
  }
  return out;
}

/**
 * Runs named statements in file order on `db` (usually a transaction) and
 * returns each one's rows by name, logging each statement's time at debug.
 * With `label`, long work shows progress: a bar on a terminal, a plain line
 * every few seconds otherwise, naming the statement under way.
 */
export async function runNamed(
  db: Db,
  statements: Map<string, string>,
  logger: Logger,
  label?: string,
): Promise<Record<string, Row[]>> {
  const results: Record<string, Row[]> = {};
  const bar = label
    ? progress(label, statements.size, { format: (n) => `${n} steps` })
    : undefined;
  let done = 0;
  for (const [name, sql] of statements) {
    const t0 = performance.now();
    bar?.update(done, undefined, name);
    results[name] = await db.query(sql);
    bar?.update(++done, undefined, name);
    logger.debug("{name} in {ms} ms", {
      name,
      ms: Math.round(performance.now() - t0),
    });
  }
  bar?.done();
  return results;
}
