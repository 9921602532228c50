/**
 * What the quality checks mean for the gate: each check's dimension, severity
 * and threshold, from its declaration (lib/quality_checks.ts), with the
 * configuration's overrides applied. Defaults let the default generated data
 * (about 2 % defects spread over all kinds) pass with warnings, while a file
 * with, say, 20 % orphan rows fails the gate.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { PipelineError } from "./errors.ts";
import { CHECKS, type Dimension, DIMENSIONS } from "./quality_checks.ts";

export { type Dimension, DIMENSIONS };

/** The contract's report key for each dimension. */
export const CONTRACT_KEYS: Record<Dimension, string> = {
  completeness: "null_checks",
  uniqueness: "duplicate_checks",
  validity: "range_checks",
  referential_integrity: "referential_integrity",
  consistency: "data_consistency",
  accuracy: "accuracy_checks",
};

/** A check's meaning and default gate. */
export interface Rule {
  dimension: Dimension;
  severity: "error" | "warn";
  /** The gate fails when failed / checked exceeds this (error severity only). */
  maxFailedShare: number;
  /** ... or when failed exceeds this. */
  maxFailedRows?: number;
  description: string;
}

/** Every check's rule, by name (`<table>.<kind>`). */
export const RULES: Record<string, Rule> = Object.fromEntries(
  CHECKS.map((c) => [c.name, {
    dimension: c.dimension,
    severity: c.severity,
    maxFailedShare: c.maxFailedShare,
    ...(c.maxFailedRows !== undefined
      ? { maxFailedRows: c.maxFailedRows }
      : {}),
    description: c.description,
  }]),
);

/**
 * The rules with the configuration's overrides applied.
 *
 * @example
 * ```ts
 * effectiveRules(config)["transactions.orphan_customer"].maxFailedShare; // 0.05
 * ```
 * @throws {PipelineError} `CONFIG_INVALID` when an override names no check.
 */
export function effectiveRules(config: Config): Record<string, Rule> {
  const rules: Record<string, Rule> = {};
  for (const [name, rule] of Object.entries(RULES)) rules[name] = { ...rule };
  for (const [name, o] of Object.entries(config.quality.checks)) {
    if (!rules[name]) {
      throw new PipelineError(
        "CONFIG_INVALID",
        `Invalid configuration: quality.checks.${name}: no such check`,
        { hint: `checks are: ${Object.keys(RULES).join(", ")}` },
      );
    }
    Object.assign(
      rules[name],
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
    );
  }
  return rules;
}

/** One check's result, as in the report. */
export interface CheckResult {
  name: string;
  table: string;
  dimension: Dimension;
  severity: "error" | "warn";
  description: string;
  checked: number;
  failed: number;
  failed_share: number;
  threshold: { max_failed_share: number; max_failed_rows?: number };
  status: "passed" | "warning" | "failed";
  score: number;
  samples: Array<{ id: string | null; source_row: number }>;
  detail?: Record<string, number>;
}

/** The counts one check's query returned. */
export interface CheckCounts {
  checked: number;
  failed: number;
  sample_ids: (string | null)[] | null;
  sample_rows: number[] | null;
  detail: Record<string, number> | null;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * A check's verdict from its counts: passed with no failing row; failed when
 * an error-severity check is over its threshold (a share is judged only from
 * `minFailedRowsForShare` failing rows on); a warning otherwise.
 */
export function evaluate(
  name: string,
  rule: Rule,
  minFailedRowsForShare: number,
  r: CheckCounts,
): CheckResult {
  const share = r.checked ? r.failed / r.checked : 0;
  const over =
    (share > rule.maxFailedShare && r.failed >= minFailedRowsForShare) ||
    (rule.maxFailedRows !== undefined && r.failed > rule.maxFailedRows);
  const status = r.failed === 0
    ? "passed"
    : rule.severity === "error" && over
    ? "failed"
    : "warning";
  const ids = r.sample_ids ?? [];
  return {
    name,
    table: name.split(".")[0],
    dimension: rule.dimension,
    severity: rule.severity,
    description: rule.description,
    checked: r.checked,
    failed: r.failed,
    failed_share: Math.round(share * 1e6) / 1e6,
    threshold: {
      max_failed_share: rule.maxFailedShare,
      ...(rule.maxFailedRows !== undefined
        ? { max_failed_rows: rule.maxFailedRows }
        : {}),
    },
    status,
    score: r.checked ? round2(100 * (1 - share)) : 100,
    samples: ids.map((id, i) => ({ id, source_row: r.sample_rows![i] })),
    ...(r.detail ? { detail: r.detail } : {}),
  };
}
