/**
 * Run identifiers: sortable by time, unique enough for one machine.
 *
 * @module
 */

/** A new id such as `20261125T184512Z-3fa9c1`. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  return `${stamp}-${crypto.randomUUID().slice(0, 6)}`;
}
