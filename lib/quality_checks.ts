/**
 * Every quality check, declared once: its name, dimension, severity and
 * threshold, what it looks at and what fails it (SQL conditions over the
 * table's rows as `sql/quality/<table>.sql` prepares them), and the injected
 * defect kind whose rows it must fail exactly. The SQL that counts them
 * ({@linkcode checkSql}), the report entry and the manifest test
 * (tests/quality_test.ts) all follow from this list: adding a check is one
 * entry here (and a line in docs/data_quality.md).
 *
 * Conditions may use `$1` (the latest plausible date) and `$2` (the
 * earliest), see lib/plausible.ts.
 *
 * @module
 */
import type { Table } from "./contract.ts";

export const DIMENSIONS = [
  "completeness",
  "uniqueness",
  "validity",
  "referential_integrity",
  "consistency",
  "accuracy",
] as const;
export type Dimension = typeof DIMENSIONS[number];

/** One quality check. */
export interface CheckSpec {
  /** `<table>.<kind>`. */
  name: string;
  dimension: Dimension;
  severity: "error" | "warn";
  /** The gate fails when failed / checked exceeds this (error severity only). */
  maxFailedShare: number;
  /** ... or when failed exceeds this. */
  maxFailedRows?: number;
  description: string;
  /** SQL condition: the rows the check looks at. */
  checked: string;
  /** SQL condition: the rows that fail it (a sample of ten is reported). */
  failed: string;
  /** Failing rows counted per column for the report: column -> condition. */
  detail?: Record<string, string>;
  /** The injected defect kind it must fail exactly; `null`: none injected. */
  defect?: string | null;
}

type Spec = Omit<CheckSpec, "name">;

/** A declaration maker per severity: errors gate at 5 %, warnings never. */
const spec = (severity: Spec["severity"], maxFailedShare: number) =>
(
  dimension: Dimension,
  description: string,
  checked: string,
  failed: string,
  extra: Partial<Spec> = {},
): Spec => ({
  dimension,
  severity,
  maxFailedShare,
  description,
  checked,
  failed,
  ...extra,
});
const err = spec("error", 0.05);
const warn = spec("warn", 1);

const MISSING = "mandatory value missing (NULL or blank)";
const EXACT = "row repeats an earlier row exactly (collapsed to one)";
const CONFLICT = "id repeats with different content (first valid row wins)";
const PLAUSIBLE =
  "after the business day (+1 day) or before quality.earliestDate (rejected)";

/** Duplicate checks over rows with `has_id`, `rn_id` and `rn_exact`. */
const duplicates = (idGiven: string): Record<string, Spec> => ({
  exact_duplicate: warn(
    "uniqueness",
    EXACT,
    idGiven,
    `${idGiven} AND rn_exact > 1`,
  ),
  conflicting_duplicate: err(
    "uniqueness",
    CONFLICT,
    idGiven,
    `${idGiven} AND rn_id > 1 AND rn_exact = 1`,
  ),
});

const CUSTOMERS: Record<string, Spec> = {
  missing_mandatory: err(
    "completeness",
    MISSING,
    "true",
    "util.blank(customer_id) OR util.blank(registration_date)",
    {
      detail: {
        customer_id: "util.blank(customer_id)",
        registration_date: "util.blank(registration_date)",
      },
    },
  ),
  ...duplicates("NOT util.blank(customer_id)"),
  duplicate_email: err(
    "uniqueness",
    "another customer has the same email (case and spaces ignored)",
    "rn_email IS NOT NULL",
    "rn_email > 1",
  ),
  unparseable_date: err(
    "validity",
    "registration_date is not a YYYY-MM-DD date",
    "NOT util.blank(registration_date)",
    "NOT util.blank(registration_date) AND NOT util.is_date(registration_date)",
  ),
  malformed_email: warn(
    "validity",
    "email is not of the form name@domain.tld (set to NULL)",
    "NOT util.blank(email)",
    "NOT util.blank(email) AND NOT util.is_email(email)",
  ),
  future_date: warn(
    "validity",
    `registration_date ${PLAUSIBLE}`,
    "util.is_date(registration_date)",
    "util.is_date(registration_date) AND btrim(registration_date)::date NOT BETWEEN $2::date AND $1::date",
  ),
  unknown_category: warn(
    "validity",
    "age_group outside 18-25, 26-35, 36-45, 46-60, 60+ (kept as given)",
    "NOT util.blank(age_group)",
    "NOT util.blank(age_group) AND NOT util.is_age_group(age_group)",
  ),
};

const PRODUCTS: Record<string, Spec> = {
  missing_mandatory: err(
    "completeness",
    MISSING,
    "true",
    "util.blank(product_id) OR util.blank(price)",
    {
      detail: {
        product_id: "util.blank(product_id)",
        price: "util.blank(price)",
      },
    },
  ),
  ...duplicates("NOT util.blank(product_id)"),
  unparseable_number: err(
    "validity",
    "price, cost or stock_quantity does not parse",
    "NOT (util.blank(price) AND util.blank(cost) AND util.blank(stock_quantity))",
    `(NOT util.blank(price) AND NOT util.is_num(price))
      OR (NOT util.blank(cost) AND NOT util.is_num(cost))
      OR (NOT util.blank(stock_quantity) AND NOT util.is_int(stock_quantity))`,
  ),
  non_positive_price: err(
    "validity",
    "price is zero or negative",
    "util.is_num(price)",
    "util.is_num(price) AND btrim(price)::numeric <= 0",
  ),
  // Only for positive prices: a negative price is its own finding.
  cost_above_price: warn(
    "validity",
    "cost above price (kept: a loss-making product)",
    "util.is_num(price) AND util.is_num(cost) AND btrim(price)::numeric > 0",
    "util.is_num(price) AND util.is_num(cost) AND btrim(price)::numeric > 0 AND btrim(cost)::numeric > btrim(price)::numeric",
  ),
};

const TRANSACTIONS: Record<string, Spec> = {
  missing_mandatory: err(
    "completeness",
    MISSING,
    "true",
    "id_blank OR cust_blank OR date_blank",
    {
      detail: {
        transaction_id: "id_blank",
        customer_id: "cust_blank",
        transaction_date: "date_blank",
      },
    },
  ),
  ...duplicates("NOT id_blank"),
  unparseable_date: err(
    "validity",
    "transaction_date is not a YYYY-MM-DD date",
    "NOT date_blank",
    "NOT date_blank AND NOT date_ok",
  ),
  unparseable_time: warn(
    "validity",
    "transaction_time is not HH:MM:SS (set to NULL)",
    "NOT time_blank",
    "NOT time_blank AND NOT time_ok",
    { defect: null },
  ),
  unparseable_number: warn(
    "validity",
    "total_amount does not parse (computed from the items)",
    "NOT total_blank",
    "NOT total_blank AND NOT total_ok",
    { defect: null },
  ),
  future_date: warn(
    "validity",
    `transaction_date ${PLAUSIBLE}`,
    "date_ok",
    "date_ok AND transaction_date NOT BETWEEN $2::date AND $1::date",
  ),
  unknown_payment_method: warn(
    "validity",
    "payment method not recognised in any spelling (kept as given)",
    "NOT pay_blank",
    "NOT pay_blank AND payment_name IS NULL",
    { defect: null },
  ),
  orphan_customer: err(
    "referential_integrity",
    "customer_id not among the customers",
    "NOT cust_blank",
    "NOT cust_blank AND NOT customer_known",
  ),
  without_items: warn(
    "referential_integrity",
    "transaction has no items",
    "distinct_id",
    "distinct_id AND NOT has_items",
  ),
  total_mismatch: err(
    "consistency",
    "total_amount differs from the sum of its items' line totals by more than 0.01",
    "distinct_id AND has_items AND items_parse AND total_ok",
    "distinct_id AND has_items AND items_parse AND total_ok AND abs(total_amount - item_total) > 0.01",
    { maxFailedShare: 0.1 },
  ),
  before_registration: warn(
    "accuracy",
    "ordered before the customer registered",
    "distinct_id AND date_ok AND registered IS NOT NULL",
    "distinct_id AND date_ok AND transaction_date < registered",
  ),
};

const ITEMS: Record<string, Spec> = {
  missing_mandatory: err(
    "completeness",
    MISSING,
    "true",
    "id_blank OR txn_blank OR prod_blank OR q_blank OR p_blank",
    {
      detail: {
        item_id: "id_blank",
        transaction_id: "txn_blank",
        product_id: "prod_blank",
        quantity: "q_blank",
        unit_price: "p_blank",
      },
    },
  ),
  ...duplicates("NOT id_blank"),
  unparseable_number: err(
    "validity",
    "quantity, unit_price, discount or line_total does not parse",
    "NOT (q_blank AND p_blank AND d_blank AND lt_blank)",
    `(NOT q_blank AND NOT q_ok) OR (NOT p_blank AND NOT p_ok)
      OR (NOT d_blank AND NOT d_ok) OR (NOT lt_blank AND NOT lt_ok)`,
  ),
  non_positive_quantity: err(
    "validity",
    "quantity is zero or negative",
    "q_ok",
    "q_ok AND quantity <= 0",
  ),
  negative_price: err(
    "validity",
    "unit_price is negative",
    "p_ok",
    "p_ok AND unit_price < 0",
    { defect: null },
  ),
  discount_out_of_range: err(
    "validity",
    "discount_percentage outside 0-100",
    "d_ok",
    "d_ok AND discount_percentage NOT BETWEEN 0 AND 100",
  ),
  orphan_transaction: err(
    "referential_integrity",
    "transaction_id not among the transactions",
    "NOT txn_blank",
    "NOT txn_blank AND NOT txn_known",
  ),
  orphan_product: err(
    "referential_integrity",
    "product_id not among the products",
    "NOT prod_blank",
    "NOT prod_blank AND NOT prod_known",
  ),
  // Within a cent of the formula (a rounded amount is at most half a cent off).
  line_total_mismatch: err(
    "consistency",
    "line_total differs from quantity * unit_price * (1 - discount/100) by more than 0.01",
    "q_ok AND p_ok AND lt_ok AND (d_blank OR d_ok)",
    `q_ok AND p_ok AND lt_ok AND (d_blank OR d_ok)
      AND abs(line_total - quantity * unit_price * (100 - coalesce(discount_percentage, 0)) / 100) > 0.01`,
    { maxFailedShare: 0.1 },
  ),
};

const BY_TABLE: Record<Table, Record<string, Spec>> = {
  customers: CUSTOMERS,
  products: PRODUCTS,
  transactions: TRANSACTIONS,
  transaction_items: ITEMS,
};

/** Every check, table by table. */
export const CHECKS: CheckSpec[] = Object.entries(BY_TABLE).flatMap((
  [table, specs],
) =>
  Object.entries(specs).map(([kind, s]) => ({ name: `${table}.${kind}`, ...s }))
);

/** The defect kind a check must fail exactly, or null. */
export function defectOf(check: CheckSpec): string | null {
  return check.defect === undefined ? check.name.split(".")[1] : check.defect;
}

/**
 * The query that computes `table`'s checks in one pass over `rows`, the last
 * CTE of `source` (sql/quality/<table>.sql): each condition is evaluated once
 * per row in a fenced level, then counted, with the first ten failing ids and
 * rows. One output row per check: check_name, checked, failed, sample_ids,
 * sample_rows, detail.
 */
export function checkSql(table: Table, source: string): string {
  const checks = CHECKS.filter((c) => c.name.startsWith(`${table}.`));
  const flags: string[] = [];
  const counts: string[] = [];
  const values: string[] = [];
  checks.forEach((c, i) => {
    flags.push(`(${c.checked}) AS c${i}`, `(${c.failed}) AS f${i}`);
    counts.push(
      `count(*) FILTER (WHERE c${i}) AS c${i}`,
      `count(*) FILTER (WHERE f${i}) AS f${i}`,
      `(array_agg(id ORDER BY source_row) FILTER (WHERE f${i}))[1:10] AS i${i}`,
      `(array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f${i}))[1:10] AS r${i}`,
    );
    const detail = Object.entries(c.detail ?? {});
    detail.forEach(([, cond], j) => {
      flags.push(`(${cond}) AS d${i}_${j}`);
      counts.push(`count(*) FILTER (WHERE d${i}_${j}) AS d${i}_${j}`);
    });
    const json = detail.length
      ? `jsonb_build_object(${
        detail.map(([col], j) => `'${col}', d${i}_${j}`).join(", ")
      })`
      : "NULL::jsonb";
    values.push(`('${c.name}', c${i}, f${i}, i${i}, r${i}, ${json})`);
  });
  return `${source.trim().replace(/;$/, "")},
-- Generated from lib/quality_checks.ts: each condition once per row (the
-- fence), then counted and sampled.
flags AS NOT MATERIALIZED (
  SELECT id, source_row,
    ${flags.join(",\n    ")}
  FROM rows
  OFFSET 0
),
agg AS (
  SELECT
    ${counts.join(",\n    ")}
  FROM flags
)
SELECT v.* FROM agg CROSS JOIN LATERAL (VALUES
  ${values.join(",\n  ")}
) AS v (check_name, checked, failed, sample_ids, sample_rows, detail)`;
}
