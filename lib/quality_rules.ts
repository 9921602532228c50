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
