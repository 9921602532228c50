/**
 * The run history in `ops.pipeline_runs` and `ops.step_runs`: a run is
 * recorded `running` when it starts and each step when it starts, so that a
 * run whose process died (kill -9, power loss) is recognisable afterwards.
 * Runs end as `success`, `failed`, `interrupted` (a signal: stopped at a safe
 * point) or `crashed` (found still `running` by the next run, which holds the
 * lock and so knows the process is gone).
 *
 * @module
 */
import type { Db } from "./db.ts";

/** How a run ended. */
export type RunStatus =
  | "running"
  | "success"
  | "failed"
  | "interrupted"
  | "crashed";

/** A step's outcome as recorded. */
export interface StepOutcome {
  status: string;
  duration_seconds: number;
  records_processed: number;
  retry_attempts: number;
  error_message: string | null;
}

/**
 * Marks every run still `running` as `crashed`, with the first step that did
 * not succeed as its failed step. Only a lock holder may call this: then no
 * other run can be alive. Returns the ids marked.
 *
 * @example
 * ```ts
 * const crashed = await markCrashedRuns(db); // ["20261204T021500Z-ab12cd"]
 * ```
 */
export async function markCrashedRuns(db: Db): Promise<string[]> {
  await db.exec(
    `UPDATE ops.step_runs SET status = 'crashed', ended_at = now()
     WHERE status = 'running'`,
  );
  const rows = await db.query<{ run_id: string }>(
    `UPDATE ops.pipeline_runs r SET status = 'crashed', ended_at = now(),
       failed_step = (
         SELECT s.step FROM unnest(r.steps) WITH ORDINALITY AS s (step, pos)
         WHERE NOT EXISTS (
           SELECT 1 FROM ops.step_runs x
           WHERE x.run_id = r.run_id AND x.step = s.step AND x.status = 'success')
         ORDER BY s.pos LIMIT 1),
       error_message = 'the process ended without recording an outcome (killed, or the machine stopped)'
     WHERE status = 'running'
     RETURNING run_id`,
  );
  return rows.map((r) => r.run_id);
}

/** The last run's failed step and business day, if it did not succeed. */
export async function lastUnfinished(
  db: Db,
): Promise<{ step: string; date?: string; status: string } | undefined> {
  const [last] = await db.query<{
    status: string;
    failed_step: string | null;
    business_date: string | null;
  }>(
    `SELECT status, failed_step, business_date::text AS business_date
     FROM ops.pipeline_runs ORDER BY started_at DESC LIMIT 1`,
  );
  if (
    !last || !["failed", "interrupted", "crashed"].includes(last.status) ||
    !last.failed_step
  ) {
    return undefined;
  }
  return {
    step: last.failed_step,
    date: last.business_date ?? undefined,
    status: last.status,
  };
}

/** Records a run as started. */
export async function recordRun(
  db: Db,
  runId: string,
  start: Date,
  steps: string[],
  date: string | undefined,
): Promise<void> {
  await db.query(
    `INSERT INTO ops.pipeline_runs (run_id, started_at, status, steps, mode, business_date)
     VALUES ($1, $2, 'running', $3::text[], $4, $5::date)`,
    [
      runId,
      start.toISOString(),
      `{${steps.join(",")}}`,
      date ? "daily" : "full",
      date ?? null,
    ],
  );
}

/** Records a step as started (`running`) or its outcome, by step name. */
export async function recordStep(
  db: Db,
  runId: string,
  step: string,
  position: number,
  e: StepOutcome,
  started: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO ops.step_runs (run_id, step, position, status, started_at, ended_at,
       duration_seconds, records_processed, retry_attempts, error_message)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $4::text = 'running' THEN NULL ELSE now() END,
       $6, $7, $8, $9)
     ON CONFLICT (run_id, step) DO UPDATE SET status = EXCLUDED.status,
       ended_at = EXCLUDED.ended_at, duration_seconds = EXCLUDED.duration_seconds,
       records_processed = EXCLUDED.records_processed,
       retry_attempts = EXCLUDED.retry_attempts, error_message = EXCLUDED.error_message`,
    [
      runId,
      step,
      position,
      e.status,
      started.toISOString(),
      e.duration_seconds,
      e.records_processed,
      e.retry_attempts,
      e.error_message,
    ],
  );
}

/** Records how a run ended. */
export async function finishRun(
  db: Db,
  runId: string,
  end: Date,
  status: RunStatus,
  failure: { step: string; message: string } | undefined,
): Promise<void> {
  await db.query(
    `UPDATE ops.pipeline_runs SET ended_at = $2, status = $3, failed_step = $4, error_message = $5
     WHERE run_id = $1`,
    [
      runId,
      end.toISOString(),
      status,
      failure?.step ?? null,
      failure?.message ?? null,
    ],
  );
}
