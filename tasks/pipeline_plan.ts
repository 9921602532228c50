/**
 * The shape of a pipeline run: which steps run (from --from-step, --to-step,
 * --only, --skip-generate), and the report a run writes, with the contract's
 * keys.
 *
 * @module
 */
import { PipelineError } from "../lib/errors.ts";
import { closest } from "../lib/suggest.ts";
import type { PipelineOptions, Step } from "./pipeline.ts";

/** A step's entry in the report. */
export interface StepReport {
  status:
    | "success"
    | "failed"
    | "interrupted"
    | "skipped"
    | "not_run"
    | "running";
  duration_seconds: number;
  records_processed: number;
  error_message: string | null;
  retry_attempts: number;
}

/** The report, with the contract's keys. */
export interface PipelineReport {
  pipeline_execution_id: string;
  start_time: string;
  end_time: string;
  total_duration_seconds: number;
  status: "success" | "failed" | "interrupted";
  steps_executed: Record<string, StepReport>;
  errors: Array<{ step: string; message: string }>;
  warnings: string[];
  backend?: string;
  resumed_from?: string;
  business_date?: string;
}

/** Picks the steps to run from --from/--to/--only/--skip-generate. */
export function selectSteps(all: Step[], o: PipelineOptions): Step[] {
  const names = all.map((s) => s.name);
  for (
    const [flag, v] of [["from", o.from], ["to", o.to], [
      "only",
      o.only,
    ]] as const
  ) {
    if (v !== undefined && !names.includes(v)) {
      const guess = closest(v, names);
      throw new PipelineError(
        "USAGE",
        `--${flag} ${v}: no such step${
          guess ? `; did you mean ${guess}?` : ""
        } (steps: ${names.join(", ")})`,
      );
    }
  }
  if (o.only) return all.filter((s) => s.name === o.only);
  const lo = o.from ? names.indexOf(o.from) : 0;
  const hi = o.to ? names.indexOf(o.to) : names.length - 1;
  return all.slice(lo, hi + 1).filter((s) =>
    !(s.name === "generate" && (o.skipGenerate || o.inputDir) && !o.from &&
      !o.only)
  );
}

/** A report with every step not run yet (or skipped, if not selected). */
export function newReport(
  runId: string,
  start: Date,
  all: Step[],
  steps: Step[],
  resumedFrom: string | undefined,
  date: string | undefined,
): PipelineReport {
  const report: PipelineReport = {
    pipeline_execution_id: runId,
    start_time: start.toISOString(),
    end_time: "",
    total_duration_seconds: 0,
    status: "success",
    steps_executed: {},
    errors: [],
    warnings: [],
    ...(resumedFrom ? { resumed_from: resumedFrom } : {}),
    ...(date ? { business_date: date } : {}),
  };
  for (const s of all) {
    report.steps_executed[s.name] = {
      status: steps.includes(s) ? "not_run" : "skipped",
      duration_seconds: 0,
      records_processed: 0,
      error_message: null,
      retry_attempts: 0,
    };
  }
  return report;
}
