/**
 * The layout of the data directory, in one place: every file and folder the
 * toolkit reads or writes under `DATA_DIR` is named here.
 *
 * @example
 * ```ts
 * const config = { dataDir: "data" };
 * rawDir(config); // "data/raw"
 * ```
 *
 * @module
 */

/** The part of the configuration the layout depends on. */
export interface HasDataDir {
  dataDir: string;
}

/** Raw CSV files (the generator's output, or the user's). */
export function rawDir(c: HasDataDir): string {
  return `${c.dataDir}/raw`;
}

/** One business day's increment. */
export function dailyRawDir(c: HasDataDir, date: string): string {
  return `${rawDir(c)}/${date}`;
}

/** Reports and exports. */
export function processedDir(c: HasDataDir): string {
  return `${c.dataDir}/processed`;
}

/** Analytics CSV exports and their summary. */
export function analyticsDir(c: HasDataDir): string {
  return `${processedDir(c)}/analytics`;
}

/** The HTML dashboard. */
export function dashboardDir(c: HasDataDir): string {
  return `${processedDir(c)}/dashboard`;
}

/** Each run's reports, kept until cleanup. */
export function archiveDir(c: HasDataDir): string {
  return `${processedDir(c)}/archive`;
}

/** The embedded database. */
export function embeddedDbDir(c: HasDataDir): string {
  return `${c.dataDir}/pglite`;
}

/** The lock every writing command holds. */
export function pipelineLockPath(c: HasDataDir): string {
  return `${c.dataDir}/pipeline.lock`;
}

/** The lock of the long-running scheduler. */
export function schedulerLockPath(c: HasDataDir): string {
  return `${c.dataDir}/scheduler.lock`;
}

/** The monitor's alert cooldown state. */
export function alertStatePath(c: HasDataDir): string {
  return `${processedDir(c)}/alert_state.json`;
}
