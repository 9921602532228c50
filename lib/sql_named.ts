/**
 * Named statements in one `.sql` file: each starts with a `-- name: NAME`
 * line and runs on its own (so it can take parameters and return rows).
 *
 * @module
 */
import type { Db, Row } from "./db.ts";
import type { Logger } from "./log.ts";

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
 */
export async function runNamed(
  db: Db,
  statements: Map<string, string>,
  logger: Logger,
): Promise<Record<string, Row[]>> {
  const results: Record<string, Row[]> = {};
  for (const [name, sql] of statements) {
    const t0 = performance.now();
    results[name] = await db.query(sql);
    logger.debug("{name} in {ms} ms", {
      name,
      ms: Math.round(performance.now() - t0),
    });
  }
  return results;
}
