/**
 * Writing JSON reports under `DATA_DIR/processed`, with secrets masked.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { maskSecrets } from "./mask.ts";

/** Directory for reports and exports. */
export function processedDir(config: Config): string {
  return `${config.dataDir}/processed`;
}

/** Writes `value` as pretty JSON to `DATA_DIR/processed/<name>`; returns the path. */
export async function writeReport(
  config: Config,
  name: string,
  value: unknown,
): Promise<string> {
  const path = `${processedDir(config)}/${name}`;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const tmp = `${path}.tmp`;
  // Write then rename, so a reader never sees half a report.
  await Deno.writeTextFile(
    tmp,
    maskSecrets(JSON.stringify(value, null, 2)) + "\n",
  );
  await Deno.rename(tmp, path);
  return path;
}
