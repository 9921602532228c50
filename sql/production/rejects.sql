-- Rejects: reads work.v_customers, work.v_products, work.v_transactions,
-- work.v_items and the staging rows; writes work.rejected_rows and
-- production.rejected_records (every reason, the raw row).
-- Part of the transform (stages/transform.ts runs sql/production/*.sql in the
-- order of TRANSFORM_FILES, in one transaction; settings in customers.sql).

-- name: delete_rejects
-- Replaces the rejects of this staging load, or of an earlier run of the same
-- business day, so a re-run does not repeat them. A full load is a whole
-- snapshot: its rejects replace those of every earlier full load (a re-run
-- re-ingests, so its staging_loaded_at is new), while the rejects of daily
-- increments stay with their days.
DELETE FROM production.rejected_records
WHERE staging_loaded_at = current_setting('ecom.staging_loaded_at')::timestamptz
  OR business_date = nullif(current_setting('ecom.business_date'), '')::date
  OR (current_setting('ecom.full_refresh') = 'on' AND business_date IS NULL);

-- name: rejected_rows
-- scratch: work.rejected_rows reference
-- The rejected rows of the big tables, taken first: a small table with
-- statistics, so that the join below hashes these and reads staging once
-- (hashing the 3 M staging items instead took seconds at scale 100). On Citus
-- only these rows leave the shards, to meet staging on the coordinator, where
-- staging and production.rejected_records live.
SELECT 'transactions' AS table_name, transaction_id AS record_id, source_file, source_row,
  reasons
FROM work.v_transactions WHERE status = 'rejected'
UNION ALL
SELECT 'transaction_items', item_id, source_file, source_row, reasons
FROM work.v_items WHERE status = 'rejected';

-- name: record_rejects
-- The raw staging row of each reject, joined on source_row (staging's own key).
WITH rejects AS (
  SELECT 'customers' AS table_name, v.customer_id AS record_id, v.source_file, v.source_row,
    v.reasons, to_jsonb(s) - 'loaded_at' AS raw
  FROM work.v_customers v JOIN staging.customers s USING (source_row) WHERE v.status = 'rejected'
  UNION ALL
  SELECT 'products', v.product_id, v.source_file, v.source_row, v.reasons,
    to_jsonb(s) - 'loaded_at'
  FROM work.v_products v JOIN staging.products s USING (source_row) WHERE v.status = 'rejected'
  UNION ALL
  SELECT r.table_name, r.record_id, r.source_file, r.source_row, r.reasons,
    to_jsonb(s) - 'loaded_at'
  FROM work.rejected_rows r JOIN staging.transactions s USING (source_row)
  WHERE r.table_name = 'transactions'
  UNION ALL
  SELECT r.table_name, r.record_id, r.source_file, r.source_row, r.reasons,
    to_jsonb(s) - 'loaded_at'
  FROM work.rejected_rows r JOIN staging.transaction_items s USING (source_row)
  WHERE r.table_name = 'transaction_items'
)
INSERT INTO production.rejected_records
  (run_id, staging_loaded_at, table_name, record_id, source_file, source_row, reasons, raw,
    business_date)
SELECT current_setting('ecom.run_id'),
  current_setting('ecom.staging_loaded_at')::timestamptz,
  table_name, nullif(record_id, ''), source_file, source_row, reasons, raw,
  nullif(current_setting('ecom.business_date'), '')::date
FROM rejects;
