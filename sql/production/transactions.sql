-- Transactions: reads work.transactions (typed staging), work.v_customers and
-- production.customers; writes work.v_transactions (status and reasons).
-- Part of the transform (stages/transform.ts runs sql/production/*.sql in the
-- order of TRANSFORM_FILES, in one transaction; settings in customers.sql).

-- name: validate_transactions
-- Big tables in two steps: one pass checks every row as if its id were unique
-- (no sort, no window over millions of rows), then dedup_* fixes up the few
-- rows whose id repeats. Values come parsed from work.transactions
-- (sql/work/typed.sql, built by lib/typed_staging.ts before this runs).
-- scratch: work.v_transactions by transaction_id
SELECT source_row, source_file, transaction_id, customer_id, transaction_date,
  transaction_time, payment_method, shipping_address, stated_total_amount, time_invalid,
  total_invalid,
  CASE WHEN cardinality(reasons) = 0 THEN 'accepted' ELSE 'rejected' END AS status, reasons
FROM (
  SELECT w.source_row, w.source_file, w.transaction_id,
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
      -- day. Read per row: a sub-select would be an intermediate result on
      -- Citus (and turn the INSERT ... SELECT into a repartition).
      CASE WHEN w.transaction_date > current_setting('ecom.latest_date')::date
        THEN 'future_transaction_date' END,
      CASE WHEN w.transaction_date < current_setting('ecom.earliest_date')::date
        THEN 'implausible_transaction_date' END,
      -- The parent must be in production (this load's or an earlier one).
      CASE WHEN NOT w.cust_blank AND pc.customer_id IS NULL
        THEN CASE WHEN vc.customer_id IS NOT NULL
          THEN 'customer_rejected' ELSE 'orphan_customer' END
      END
    ], NULL) AS reasons
  FROM work.transactions w
  LEFT JOIN production.customers pc ON pc.customer_id = w.cust
  LEFT JOIN (SELECT DISTINCT customer_id FROM work.v_customers) vc ON vc.customer_id = w.cust
) t;

-- name: dedup_transactions
-- Among rows sharing an id: exact copies of an earlier row are collapsed; the
-- first valid row in file order wins and the others are duplicate_conflict.
-- Only the rows of repeated ids (work.transaction_copies, ranked in
-- sql/work/typed.sql); their id is the distribution column, so on Citus each
-- shard ranks its own.
UPDATE work.v_transactions v SET
  status = CASE WHEN w.rn_exact > 1 THEN 'collapsed'
    WHEN cardinality(w.reasons) = 0 AND w.winner = w.source_row THEN 'accepted'
    ELSE 'rejected' END,
  reasons = w.reasons || CASE WHEN w.winner <> w.source_row
    THEN ARRAY['duplicate_conflict'] ELSE '{}'::text[] END
FROM (
  SELECT v.transaction_id, v.source_row, v.reasons, c.rn_exact,
    min(v.source_row) FILTER (WHERE c.rn_exact = 1 AND cardinality(v.reasons) = 0)
      OVER (PARTITION BY v.transaction_id) AS winner
  FROM work.v_transactions v JOIN work.transaction_copies c USING (source_row)
) w
WHERE v.transaction_id = w.transaction_id AND v.source_row = w.source_row;
