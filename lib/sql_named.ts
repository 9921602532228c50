/**
 * Named statements in one `.sql` file: each starts with a `-- name: NAME`
 * line and runs on its own (so it can take parameters and return rows).
 *
 * @module
 */

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
