/**
 * The catalogue of quality checks: what each measures, its dimension, and
 * its default severity and threshold. The SQL in `sql/quality/` computes the
 * counts; this decides what they mean. Defaults let the default generated
 * data (about 2 % defects spread over all kinds) pass with warnings, while a
 * file with, say, 20 % orphan rows fails the gate.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { PipelineError } from "./errors.ts";

export const DIMENSIONS = [
  "completeness",
  "uniqueness",
  "validity",
  "referential_integrity",
  "consistency",
  "accuracy",
] as const;
export type Dimension = typeof DIMENSIONS[number];

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

const err = (
  dimension: Dimension,
  description: string,
  share = 0.05,
): Rule => ({
  dimension,
  severity: "error",
  maxFailedShare: share,
  description,
});
const warn = (dimension: Dimension, description: string): Rule => ({
  dimension,
  severity: "warn",
  maxFailedShare: 1,
  description,
});

const perTable = (
  tables: string[],
  kind: string,
  rule: Rule,
): Record<string, Rule> =>
  Object.fromEntries(tables.map((t) => [`${t}.${kind}`, rule]));

const ALL = ["customers", "products", "transactions", "transaction_items"];

/** Every check, by name (`<table>.<kind>`, matching injected_defects.csv kinds). */
export const RULES: Record<string, Rule> = {
  ...perTable(
    ALL,
    "missing_mandatory",
    err("completeness", "mandatory value missing (NULL or blank)"),
  ),
  ...perTable(
    ALL,
    "exact_duplicate",
    warn("uniqueness", "row repeats an earlier row exactly (collapsed to one)"),
  ),
  ...perTable(
    ALL,
    "conflicting_duplicate",
    err(
      "uniqueness",
      "id repeats with different content (first valid row wins)",
    ),
  ),
  "customers.duplicate_email": err(
    "uniqueness",
    "another customer has the same email (case and spaces ignored)",
  ),
  "customers.unparseable_date": err(
    "validity",
    "registration_date is not a YYYY-MM-DD date",
  ),
  "customers.malformed_email": warn(
    "validity",
    "email is not of the form name@domain.tld",
  ),
  "customers.future_date": warn(
    "validity",
    "registration_date after the business day (+1 day) or before quality.earliestDate (rejected)",
  ),
  "customers.unknown_category": warn(
    "validity",
    "age_group outside 18-25, 26-35, 36-45, 46-60, 60+ (kept as given)",
  ),
  "products.unparseable_number": err(
    "validity",
    "price, cost or stock_quantity does not parse",
  ),
  "products.non_positive_price": err("validity", "price is zero or negative"),
  "products.cost_above_price": warn(
    "validity",
    "cost above price (kept: a loss-making product)",
  ),
  "transactions.unparseable_date": err(
    "validity",
    "transaction_date is not a YYYY-MM-DD date",
  ),
  "transactions.unparseable_time": err(
    "validity",
    "transaction_time is not HH:MM:SS",
  ),
  "transactions.unparseable_number": err(
    "validity",
    "total_amount does not parse",
  ),
  "transactions.future_date": warn(
    "validity",
    "transaction_date after the business day (+1 day) or before quality.earliestDate (rejected)",
  ),
  "transactions.unknown_payment_method": warn(
    "validity",
    "payment method not recognised in any spelling (kept as given)",
  ),
  "transaction_items.unparseable_number": err(
    "validity",
    "quantity, unit_price, discount or line_total does not parse",
  ),
  "transaction_items.non_positive_quantity": err(
    "validity",
    "quantity is zero or negative",
  ),
  "transaction_items.negative_price": err("validity", "unit_price is negative"),
  "transaction_items.discount_out_of_range": err(
    "validity",
    "discount_percentage outside 0-100",
  ),
  "transactions.orphan_customer": err(
    "referential_integrity",
    "customer_id not among the customers",
  ),
  "transactions.without_items": warn(
    "referential_integrity",
    "transaction has no items",
  ),
  "transaction_items.orphan_transaction": err(
    "referential_integrity",
    "transaction_id not among the transactions",
  ),
  "transaction_items.orphan_product": err(
    "referential_integrity",
    "product_id not among the products",
  ),
  "transaction_items.line_total_mismatch": err(
    "consistency",
    "line_total differs from quantity * unit_price * (1 - discount/100) by more than 0.01",
    0.1,
  ),
  "transactions.total_mismatch": err(
    "consistency",
    "total_amount differs from the sum of its items' line totals by more than 0.01",
    0.1,
  ),
  "transactions.before_registration": warn(
    "accuracy",
    "ordered before the customer registered",
  ),
};

/**
 * The rules with the configuration's overrides applied.
 *
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
