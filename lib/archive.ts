/**
 * Each run's reports, kept beside the latest: copied to
 * `processed/archive/<run id>/` when a run ends, until cleanup removes them.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { copyFileAtomic } from "./atomic.ts";
import { archiveDir, processedDir } from "./paths.ts";

/**
 * Copies this run's reports to `processed/archive/<run id>/`, so each run's
 * reports survive the next run until cleanup removes them.
 */
export async function archiveReports(
  config: Config,
  runId: string,
): Promise<void> {
  const dir = processedDir(config);
  const target = `${archiveDir(config)}/${runId}`;
  await Deno.mkdir(target, { recursive: true });
  for (const name of REPORTS) {
    try {
      await copyFileAtomic(
        `${dir}/${name}`,
        `${target}/${name.replace("analytics/", "")}`,
      );
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
}

const REPORTS = [
  "pipeline_execution_report.json",
  "ingestion_summary.json",
  "data_quality_report.json",
  "transformation_summary.json",
  "analytics/analytics_summary.json",
];
