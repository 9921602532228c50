/**
 * Writing JSON reports under `DATA_DIR/processed`, with secrets masked.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { maskSecrets } from "./mask.ts";
import { writeFileAtomic } from "./atomic.ts";
import { processedDir } from "./paths.ts";

export { processedDir };

/**
 * Writes `value` as pretty JSON to `DATA_DIR/processed/<name>`; returns the path.
 *
 * @example
 * ```ts
 * await writeReport(config, "transformation_summary.json", { tables });
 * ```
 */
export async function writeReport(
  config: Config,
  name: string,
  value: unknown,
): Promise<string> {
  const path = reportPathOf(config, name);
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await writeFileAtomic(
    path,
    maskSecrets(JSON.stringify(value, null, 2)) + "\n",
  );
  return path;
}

/** Where `writeReport(config, name, ...)` puts a report. */
export function reportPathOf(config: Config, name: string): string {
  return `${processedDir(config)}/${name}`;
}
