-- Transactions: reads work.transactions (typed staging), v_customers and
-- production.customers; writes v_transactions (status and reasons) and
-- k_transactions (every transaction id an item may reference).
-- Part of the transform (stages/transform.ts runs sql/production/*.sql in the
-- order of TRANSFORM_FILES, in one transaction; settings in customers.sql).

-- name: validate_transactions
-- Big tables in two steps: one pass checks every row as if its id were unique
-- (no sort, no window over millions of rows), then dedup_* fixes up the few
-- rows whose id repeats. Values come parsed from work.transactions
-- (sql/work/typed.sql, built by lib/typed_staging.ts before this runs).
CREATE TEMP TABLE v_transactions ON COMMIT DROP AS
SELECT staging_ctid, source_row, source_file, transaction_id, customer_id, transaction_date,
  transaction_time, payment_method, shipping_address, stated_total_amount, time_invalid,
  total_invalid,
  CASE WHEN cardinality(reasons) = 0 THEN 'accepted' ELSE 'rejected' END AS status, reasons
FROM (
  SELECT w.staging_ctid, w.source_row, w.source_file, coalesce(w.id, '') AS transaction_id,
    w.cust AS customer_id, w.transaction_date, w.transaction_time,
    coalesce(w.payment_name, w.payment_raw) AS payment_method, w.shipping_address,
    round(w.total_amount, 2) AS stated_total_amount,
    -- Optional: an unparseable time is NULL; the total is computed from the items.
    NOT w.time_blank AND NOT w.time_ok AS time_invalid,
    NOT w.total_blank AND NOT w.total_ok AS total_invalid,
    array_remove(ARRAY[
      CASE WHEN w.id_blank THEN 'missing_transaction_id' END,
      CASE WHEN w.cust_blank THEN 'missing_customer_id' END,
      CASE WHEN w.date_blank THEN 'missing_transaction_date' END,
      CASE WHEN NOT w.date_blank AND NOT w.date_ok THEN 'unparseable_transaction_date' END,
      -- It did not happen as recorded: after the business day being loaded
      -- (one day of slack for time zones), or before the earliest plausible
      -- day. The bounds are sub-selects: evaluated once, not once per row.
      CASE WHEN w.transaction_date > (SELECT current_setting('ecom.latest_date')::date)
        THEN 'future_transaction_date' END,
      CASE WHEN w.transaction_date < (SELECT current_setting('ecom.earliest_date')::date)
        THEN 'implausible_transaction_date' END,
      -- The parent must be in production (this load's or an earlier one).
      CASE WHEN NOT w.cust_blank AND pc.customer_id IS NULL
        THEN CASE WHEN vc.customer_id IS NOT NULL
          THEN 'customer_rejected' ELSE 'orphan_customer' END
      END
    ], NULL) AS reasons
  FROM work.transactions w
  LEFT JOIN production.customers pc ON pc.customer_id = w.cust
  LEFT JOIN (SELECT DISTINCT customer_id FROM v_customers) vc ON vc.customer_id = w.cust
  -- Fence: the reasons are evaluated once per row, not once per reference.
  OFFSET 0
) t;

-- name: analyze_transactions
-- Temporary tables have no statistics until analyzed; without them the
-- planner guesses a few hundred rows and sorts millions for merge joins.
ANALYZE v_transactions;

-- name: dedup_transactions
-- Among rows sharing an id: exact copies of an earlier row are collapsed; the
-- first valid row in file order wins and the others are duplicate_conflict.
WITH dup AS (SELECT id AS transaction_id FROM work.transaction_dups),
r AS (
  SELECT v.source_row, v.transaction_id, v.reasons,
    row_number() OVER (
      PARTITION BY s.transaction_id, s.customer_id, s.transaction_date, s.transaction_time,
        s.payment_method, s.shipping_address, s.total_amount
      ORDER BY v.source_row) AS rn_exact
  FROM v_transactions v JOIN dup USING (transaction_id)
  -- By address (sql/work/typed.sql): a few probes instead of a scan of staging.
  CROSS JOIN LATERAL (SELECT * FROM staging.transactions s
    WHERE s.ctid = v.staging_ctid AND s.source_row = v.source_row OFFSET 0) s
),
w AS (
  SELECT r.*, min(source_row) FILTER (WHERE rn_exact = 1 AND cardinality(reasons) = 0)
    OVER (PARTITION BY transaction_id) AS winner
  FROM r
)
UPDATE v_transactions v SET
  status = CASE WHEN w.rn_exact > 1 THEN 'collapsed'
    WHEN cardinality(w.reasons) = 0 AND w.winner = w.source_row THEN 'accepted'
    ELSE 'rejected' END,
  reasons = w.reasons || CASE WHEN w.winner <> w.source_row
    THEN ARRAY['duplicate_conflict'] ELSE '{}'::text[] END
FROM w WHERE v.source_row = w.source_row;

-- name: known_parents
-- Every parent id an item may reference, once: in production (an earlier
-- load, or accepted in this one) or only staged (and rejected). One join per
-- parent in validate_items instead of two.
CREATE TEMP TABLE k_transactions ON COMMIT DROP AS
SELECT coalesce(v.transaction_id, p.transaction_id) AS transaction_id,
  coalesce(v.accepted, false) OR p.transaction_id IS NOT NULL AS known,
  v.transaction_id IS NOT NULL AS staged
FROM (SELECT transaction_id, bool_or(status = 'accepted') AS accepted
  FROM v_transactions GROUP BY 1) v
FULL JOIN production.transactions p USING (transaction_id);
