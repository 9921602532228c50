-- What the stage checks before it commits. Reads the warehouse; writes nothing.
-- Part of the warehouse load: stages/warehouse.ts runs sql/warehouse/*.sql in
-- the order of its FILES list, in one transaction. Session settings:
-- ecom.as_of (a date: the day a changed dimension row's new version takes
-- effect; the old one ends the day before) and ecom.loaded_at (this run's
-- timestamp, stamped on the facts it adds). A customer's or product's first
-- version is effective from 1900-01-01, so every sale, however old, finds the
-- version valid on its date.

-- name: overlapping_versions
-- Invariant: the versions of one id never overlap in time.
SELECT (SELECT count(*) FROM warehouse.dim_customers a JOIN warehouse.dim_customers b
    ON a.customer_id = b.customer_id AND a.customer_key < b.customer_key
    AND a.effective_date <= b.end_date AND b.effective_date <= a.end_date)::int
  + (SELECT count(*) FROM warehouse.dim_products a JOIN warehouse.dim_products b
    ON a.product_id = b.product_id AND a.product_key < b.product_key
    AND a.effective_date <= b.end_date AND b.effective_date <= a.end_date)::int AS overlaps;

-- name: counts
SELECT
  (SELECT count(*)::int FROM warehouse.fact_sales) AS facts,
  (SELECT count(*)::int FROM warehouse.dim_customers) AS customer_versions,
  (SELECT count(*)::int FROM warehouse.dim_products) AS product_versions,
  (SELECT count(*)::int FROM warehouse.dim_date) AS days,
  (SELECT count(*)::int FROM warehouse.dim_payment_method) AS payment_methods;
