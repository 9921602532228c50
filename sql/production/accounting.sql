-- Accounting: reads the v_* tables, production and production.rejected_records;
-- writes nothing. The counts the transform reconciles before it commits, and
-- the summary's reasons.
-- Part of the transform (stages/transform.ts runs sql/production/*.sql in the
-- order of TRANSFORM_FILES, in one transaction; settings in customers.sql).

-- name: counts
-- Per table: staging rows, and how they split; reconciled in TypeScript.
SELECT t.table_name, t.status, t.rows, t.corrected FROM (
  SELECT 'customers' AS table_name, status, count(*)::int AS rows, 0 AS corrected
  FROM work.v_customers GROUP BY status
  UNION ALL
  SELECT 'products', status, count(*)::int, 0 FROM work.v_products GROUP BY status
  UNION ALL
  -- Only accepted transactions have totals (and corrections).
  SELECT 'transactions', v.status, count(*)::int,
    CASE WHEN v.status = 'accepted'
      THEN (SELECT count(*) FILTER (WHERE corrected) FROM work.v_totals)::int ELSE 0 END
  FROM work.v_transactions v GROUP BY v.status
  UNION ALL
  SELECT 'transaction_items', status, count(*)::int, count(*) FILTER (WHERE corrected)::int
  FROM work.v_items GROUP BY status
) t;

-- name: reconcile
-- What actually landed: accepted rows found in production, rejects recorded.
SELECT 'customers' AS table_name,
  (SELECT count(*)::int FROM work.v_customers v JOIN production.customers p USING (customer_id)
    WHERE v.status = 'accepted') AS in_production,
  (SELECT count(*)::int FROM production.rejected_records r
    WHERE r.run_id = current_setting('ecom.run_id') AND r.table_name = 'customers') AS rejected
UNION ALL SELECT 'products',
  (SELECT count(*)::int FROM work.v_products v JOIN production.products p USING (product_id)
    WHERE v.status = 'accepted'),
  (SELECT count(*)::int FROM production.rejected_records r
    WHERE r.run_id = current_setting('ecom.run_id') AND r.table_name = 'products')
-- A bulk load started from an empty table that only accepted rows entered
-- (their ids unique, or re-creating the primary key would have failed): all
-- its rows landed from this load, so counting it is the same check as the
-- join, without a join of millions of rows.
UNION ALL SELECT 'transactions',
  CASE WHEN current_setting('ecom.bulk_transactions') = 'true'
    THEN (SELECT count(*)::int FROM production.transactions)
    ELSE (SELECT count(*)::int FROM work.v_transactions v
      JOIN production.transactions p USING (transaction_id) WHERE v.status = 'accepted')
  END,
  (SELECT count(*)::int FROM production.rejected_records r
    WHERE r.run_id = current_setting('ecom.run_id') AND r.table_name = 'transactions')
UNION ALL SELECT 'transaction_items',
  CASE WHEN current_setting('ecom.bulk_items') = 'true'
    THEN (SELECT count(*)::int FROM production.transaction_items)
    ELSE (SELECT count(*)::int FROM work.v_items v
      JOIN production.transaction_items p USING (transaction_id, item_id)
      WHERE v.status = 'accepted')
  END,
  (SELECT count(*)::int FROM production.rejected_records r
    WHERE r.run_id = current_setting('ecom.run_id') AND r.table_name = 'transaction_items');

-- name: nulled_values
-- Optional values that did not hold, set to NULL (or recomputed) in the rows
-- this load accepted; reported in transformation_summary.json.
SELECT table_name, reason, count(*)::int AS rows FROM (
  SELECT 'customers' AS table_name, 'malformed_email' AS reason FROM work.v_customers
    WHERE status = 'accepted' AND email_invalid
  UNION ALL SELECT 'customers', 'malformed_phone' FROM work.v_customers
    WHERE status = 'accepted' AND phone_invalid
  UNION ALL SELECT 'products', cost_invalid FROM work.v_products
    WHERE status = 'accepted' AND cost_invalid IS NOT NULL
  UNION ALL SELECT 'products', stock_invalid FROM work.v_products
    WHERE status = 'accepted' AND stock_invalid IS NOT NULL
  UNION ALL SELECT 'transactions', 'unparseable_transaction_time' FROM work.v_transactions
    WHERE status = 'accepted' AND time_invalid
  UNION ALL SELECT 'transactions', 'unparseable_total_amount' FROM work.v_transactions
    WHERE status = 'accepted' AND total_invalid
  UNION ALL SELECT 'transaction_items', 'unparseable_line_total' FROM work.v_items
    WHERE status = 'accepted' AND line_total_invalid
) n
GROUP BY 1, 2 ORDER BY 1, 2;

-- name: reject_reasons
SELECT table_name, reason, count(*)::int AS rows
FROM production.rejected_records, unnest(reasons) AS reason
WHERE run_id = current_setting('ecom.run_id')
GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2;
