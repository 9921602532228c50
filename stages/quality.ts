#!/usr/bin/env -S deno run --allow-read=data,logs,node_modules --allow-write=data,logs --allow-env --allow-net
/**
 * Stage 3: data-quality checks over the staging tables, as set-based SQL.
 * Writes `data_quality_report.json`, records every result in
 * `ops.dq_results`, and fails (exit 1) when the quality gate fails, so the
 * pipeline stops before production.
 *
 * @module
 */
import { type Command, runCommand } from "../lib/cli.ts";
import type { Config } from "../lib/config.ts";
import type { Db } from "../lib/db.ts";
import { PipelineError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { reportPathOf, writeReport } from "../lib/report.ts";
import { TABLES } from "../lib/contract.ts";
import { checkSql } from "../lib/quality_checks.ts";
import { newRunId } from "../lib/run_id.ts";
import { n, secondsSince, type StageResult } from "../lib/stage.ts";
import {
  type CheckResult,
  CONTRACT_KEYS,
  type Dimension,
  DIMENSIONS,
  effectiveRules,
  evaluate,
} from "../lib/quality_rules.ts";
import customersSql from "../sql/quality/customers.sql" with { type: "text" };
import productsSql from "../sql/quality/products.sql" with { type: "text" };
import transactionsSql from "../sql/quality/transactions.sql" with {
  type: "text",
};
import itemsSql from "../sql/quality/transaction_items.sql" with {
  type: "text",
};
import { ensureTypedStaging } from "../lib/typed_staging.ts";
import { ensureSchema } from "../lib/schema.ts";
import { faultPoint } from "../lib/fault.ts";
import { plausibleRange } from "../lib/plausible.ts";
import { PURGE_HINT, volumeProblems } from "../lib/volume_guard.ts";

export const command: Command = {
  writes: true,
  name: "quality",
  summary:
    "check the staging data, score it, and stop the run if the gate fails",
  flags: [{
    name: "min-score",
    type: "number",
    config: "quality.minScore",
    help: "the gate fails below this overall score (0-100)",
    defaultText: "80",
  }, {
    name: "allow-purge",
    type: "boolean",
    config: "quality.allowPurge",
    help:
      "accept a full load that empties or shrinks customers or products by more than half (a real purge)",
  }],
  details: [
    "Writes DATA_DIR/processed/data_quality_report.json and appends to ops.dq_results.",
    "Exit code 1 with one line per failed check when the gate fails.",
  ].join("\n"),
};

export type { CheckResult };

/** What {@linkcode runQuality} returns. */
export interface QualityResult extends StageResult {
  report: Record<string, unknown>;
  checks: Record<string, CheckResult>;
  score: number;
  grade: string;
  passed: boolean;
  gateFailures: string[];
}

/** Letter grade for a score: A >= 90, B >= 80, C >= 70, D >= 60, else F. */
export function grade(score: number): string {
  return score >= 90
    ? "A"
    : score >= 80
    ? "B"
    : score >= 70
    ? "C"
    : score >= 60
    ? "D"
    : "F";
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Runs every check, writes the report and history, and evaluates the gate.
 * Does not throw when the gate fails: callers decide (see {@linkcode gateError}).
 *
 * @example
 * ```ts
 * const q = await runQuality(config, db);
 * if (!q.passed) throw gateError(q);
 * ```
 */
export async function runQuality(
  config: Config,
  db: Db,
  options: { runId?: string; businessDate?: string } = {},
): Promise<QualityResult> {
  const logger = log("quality");
  const start = performance.now();
  const rules = effectiveRules(config);
  const runId = options.runId ?? newRunId();
  await ensureSchema(db);
  // Parse the big tables once; the transform reuses the result.
  await ensureTypedStaging(db, { concurrent: true });

  const checks: Record<string, CheckResult> = {};
  // The four tables are checked at once: on a server each query gets a
  // connection of its own (and a core); the embedded database queues them.
  const range = plausibleRange(config, options.businessDate);
  const dated = [range.latest, range.earliest];
  const results = await Promise.all(
    ([
      [checkSql("transaction_items", itemsSql), []],
      [checkSql("transactions", transactionsSql), dated],
      [checkSql("customers", customersSql), dated],
      [checkSql("products", productsSql), []],
    ] as const).map(([sql, params]) =>
      db.query<{
        check_name: string;
        checked: number;
        failed: number;
        sample_ids: (string | null)[] | null;
        sample_rows: number[] | null;
        detail: Record<string, number> | null;
      }>(sql, [...params])
    ),
  );
  for (const r of results.flat()) {
    const rule = rules[r.check_name];
    if (!rule) {
      throw new Error(
        `check ${r.check_name} has no rule in lib/quality_rules.ts`,
      );
    }
    checks[r.check_name] = evaluate(
      r.check_name,
      rule,
      config.quality.minFailedRowsForShare,
      r,
    );
  }
  const missing = Object.keys(rules).filter((name) => !checks[name]);
  if (missing.length) {
    throw new Error(`no SQL computed the check(s) ${missing.join(", ")}`);
  }

  const dims = {} as Record<
    Dimension,
    { checked: number; failed: number; score: number }
  >;
  for (const d of DIMENSIONS) {
    const list = Object.values(checks).filter((c) => c.dimension === d);
    const checked = list.reduce((a, c) => a + c.checked, 0);
    const failed = list.reduce((a, c) => a + c.failed, 0);
    dims[d] = {
      checked,
      failed,
      score: checked ? round2(100 * (1 - failed / checked)) : 100,
    };
  }
  const weights = config.quality.weights;
  const totalWeight = DIMENSIONS.reduce((a, d) => a + weights[d], 0) || 1;
  const score = round2(
    DIMENSIONS.reduce((a, d) => a + weights[d] * dims[d].score, 0) /
      totalWeight,
  );
  const letter = grade(score);

  const gateFailures = Object.values(checks).filter((c) =>
    c.status === "failed"
  ).map((c) =>
    `${c.name}: ${n(c.failed)} of ${n(c.checked)} rows (${
      (100 * c.failed_share).toFixed(2)
    }%) ${c.description}; limit ${
      c.threshold.max_failed_rows !== undefined
        ? `${n(c.threshold.max_failed_rows)} rows or `
        : ""
    }${(100 * c.threshold.max_failed_share).toFixed(2)}%`
  );
  if (score < config.quality.minScore) {
    gateFailures.push(
      `overall score ${score} is below the minimum ${config.quality.minScore}`,
    );
  }
  // A daily increment is small by nature; a full load must not shrink.
  if (!options.businessDate) {
    gateFailures.unshift(...await volumeProblems(db, config));
  }
  const passed = gateFailures.length === 0;
  const warnings = Object.values(checks).filter((c) => c.status === "warning")
    .map((c) =>
      `${c.name}: ${n(c.failed)} of ${n(c.checked)} rows - ${c.description}`
    );

  const checkedAt = new Date();
  const checksPerformed: Record<string, unknown> = {};
  for (const d of DIMENSIONS) {
    const list = Object.values(checks).filter((c) => c.dimension === d);
    checksPerformed[CONTRACT_KEYS[d]] = {
      dimension: d,
      status: list.some((c) => c.status === "failed")
        ? "failed"
        : list.some((c) => c.status === "warning")
        ? "warning"
        : "passed",
      checked: dims[d].checked,
      failed: dims[d].failed,
      score: dims[d].score,
      checks: Object.fromEntries(list.map((c) => [c.name, c])),
    };
  }
  const staged = await db.query<{ loaded_at: string | null; rows: number }>(
    `SELECT max(loaded_at)::text AS loaded_at,
       (SELECT count(*) FROM staging.customers) + (SELECT count(*) FROM staging.products)
       + (SELECT count(*) FROM staging.transactions) + (SELECT count(*) FROM staging.transaction_items) AS rows
     FROM staging.transactions`,
  );
  const report = {
    check_timestamp: checkedAt.toISOString(),
    run_id: runId,
    backend: db.kind,
    staging_loaded_at: staged[0].loaded_at,
    rows_checked: staged[0].rows,
    checks_performed: checksPerformed,
    dimension_scores: Object.fromEntries(
      DIMENSIONS.map((d) => [d, dims[d].score]),
    ),
    weights,
    overall_quality_score: score,
    quality_grade: letter,
    gate: {
      passed,
      min_score: config.quality.minScore,
      failures: gateFailures,
    },
    warnings,
  };

  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO ops.dq_runs (run_id, checked_at, overall_score, grade, passed, staging_loaded_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (run_id) DO UPDATE SET checked_at = EXCLUDED.checked_at,
         overall_score = EXCLUDED.overall_score, grade = EXCLUDED.grade, passed = EXCLUDED.passed`,
      [
        runId,
        checkedAt.toISOString(),
        score,
        letter,
        passed,
        staged[0].loaded_at,
      ],
    );
    await faultPoint("quality");
    // One set-based insert for all checks.
    await tx.query(
      `INSERT INTO ops.dq_results
         (run_id, checked_at, check_name, dimension, table_name, severity, checked, failed, score, status)
       SELECT $1, $2, r->>'name', r->>'dimension', r->>'table', r->>'severity',
              (r->>'checked')::bigint, (r->>'failed')::bigint, (r->>'score')::numeric, r->>'status'
       FROM jsonb_array_elements($3::text::jsonb) AS r
       ON CONFLICT (run_id, check_name) DO UPDATE SET checked = EXCLUDED.checked,
         failed = EXCLUDED.failed, score = EXCLUDED.score, status = EXCLUDED.status`,
      [runId, checkedAt.toISOString(), JSON.stringify(Object.values(checks))],
    );
  });
  await writeReport(config, "data_quality_report.json", report);

  // Quiet success: findings within their thresholds are one line per table,
  // with the report's path; each one is at --log-level debug. Failed checks
  // stay loud, one error line each.
  const reportPath = reportPathOf(config, "data_quality_report.json");
  for (const w of warnings) logger.debug("{warning}", { warning: w });
  for (const table of TABLES) {
    const found = Object.values(checks).filter((c) =>
      c.table === table && c.status === "warning"
    );
    if (found.length === 0) continue;
    logger.info(
      "{table}: {rows} rows with findings within thresholds ({checks}); details in {path}",
      {
        table,
        rows: found.reduce((a, c) => a + c.failed, 0),
        checks: found.map((c) => `${c.name.split(".")[1]} ${c.failed}`).join(
          ", ",
        ),
        path: reportPath,
      },
    );
  }
  for (const c of Object.values(checks).filter((c) => c.status === "failed")) {
    logger.error("{check}: {failed} of {checked} rows - {description}", {
      check: c.name,
      failed: c.failed,
      checked: c.checked,
      description: c.description,
    });
  }
  const summary = `score ${score} (grade ${letter}), ${
    Object.keys(checks).length
  } checks over ${n(staged[0].rows)} rows: ${
    Object.values(checks).filter((c) => c.status === "passed").length
  } passed, ${warnings.length} warnings, ${
    Object.values(checks).filter((c) => c.status === "failed").length
  } failed; gate ${passed ? "passed" : "FAILED"} in ${secondsSince(start)} s`;
  logger.info("{summary}", { summary });
  return {
    rows: staged[0].rows,
    summary,
    warnings,
    report,
    checks,
    score,
    grade: letter,
    passed,
    gateFailures,
  };
}

/** The error that stops the pipeline when the gate failed, one line per reason. */
export function gateError(result: QualityResult): PipelineError {
  return new PipelineError(
    "QUALITY_GATE",
    `quality gate failed (score ${result.score}, grade ${result.grade}):\n  - ${
      result.gateFailures.join("\n  - ")
    }`,
    {
      hint: result.gateFailures.some((f) => f.includes("truncated export"))
        ? PURGE_HINT
        : "see data/processed/data_quality_report.json; thresholds are quality.checks.<name> in the config",
    },
  );
}

/** CLI entry point: exit 1 when the gate fails. */
export function main(args: string[]): Promise<number> {
  return runCommand(command, args, async (ctx) => {
    const result = await runQuality(ctx.config, await ctx.db());
    if (!result.passed) throw gateError(result);
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
