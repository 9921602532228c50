-- Products, SCD type 2. Reads production.products; writes work.src_products
-- and warehouse.dim_products (SCD type 2).
-- Part of the warehouse load: stages/warehouse.ts runs sql/warehouse/*.sql in
-- the order of its FILES list, in one transaction. Session settings:
-- ecom.as_of (a date: the day a changed dimension row's new version takes
-- effect; the old one ends the day before) and ecom.loaded_at (this run's
-- timestamp, stamped on the facts it adds). A customer's or product's first
-- version is effective from 1900-01-01, so every sale, however old, finds the
-- version valid on its date.

-- name: source_products
-- Price bands fit the catalogue's spread (docs/warehouse.md).
-- scratch: work.src_products reference
SELECT product_id, product_name, category, sub_category, brand, price, cost, is_active,
  CASE WHEN price < 25 THEN 'Budget' WHEN price < 100 THEN 'Mid-range'
    WHEN price < 500 THEN 'Premium' ELSE 'Luxury' END AS price_range
FROM production.products;

-- name: close_changed_products
WITH closed AS (
  UPDATE warehouse.dim_products d
  SET end_date = current_setting('ecom.as_of')::date - 1, is_current = false
  FROM work.src_products s
  WHERE d.product_id = s.product_id AND d.is_current
    AND d.effective_date < current_setting('ecom.as_of')::date
    AND (d.product_name, d.category, d.sub_category, d.brand, d.price_range, d.price, d.cost)
      IS DISTINCT FROM (s.product_name, s.category, s.sub_category, s.brand, s.price_range,
        s.price, s.cost)
  RETURNING 1
)
SELECT count(*)::int AS closed FROM closed;

-- name: overwrite_same_day_products
UPDATE warehouse.dim_products d
SET product_name = s.product_name, category = s.category, sub_category = s.sub_category,
  brand = s.brand, price_range = s.price_range, price = s.price, cost = s.cost
FROM work.src_products s
WHERE d.product_id = s.product_id AND d.is_current
  AND d.effective_date >= current_setting('ecom.as_of')::date
  AND (d.product_name, d.category, d.sub_category, d.brand, d.price_range, d.price, d.cost)
    IS DISTINCT FROM (s.product_name, s.category, s.sub_category, s.brand, s.price_range,
      s.price, s.cost);

-- name: open_products
WITH known AS (SELECT DISTINCT product_id FROM warehouse.dim_products),
ins AS (
  INSERT INTO warehouse.dim_products (product_id, product_name, category, sub_category, brand,
    price, cost, price_range, effective_date, is_current, is_deleted)
  SELECT s.product_id, s.product_name, s.category, s.sub_category, s.brand, s.price, s.cost,
    s.price_range,
    CASE WHEN k.product_id IS NULL THEN DATE '1900-01-01'
      ELSE current_setting('ecom.as_of')::date END,
    true, NOT s.is_active
  FROM work.src_products s
  LEFT JOIN known k USING (product_id)
  -- A join, not NOT EXISTS: Citus plans no correlated subquery over reference tables.
  LEFT JOIN warehouse.dim_products cur ON cur.product_id = s.product_id AND cur.is_current
  WHERE cur.product_id IS NULL
  RETURNING effective_date = DATE '1900-01-01' AS first
)
SELECT count(*) FILTER (WHERE first)::int AS new_ids,
  count(*) FILTER (WHERE NOT first)::int AS new_versions
FROM ins;

-- name: mark_deleted_products
WITH m AS (
  UPDATE warehouse.dim_products d
  SET is_deleted = NOT coalesce(s.is_active, false)
  FROM warehouse.dim_products d2
  LEFT JOIN work.src_products s USING (product_id)
  WHERE d.product_key = d2.product_key AND d.is_current
    AND d.is_deleted IS DISTINCT FROM NOT coalesce(s.is_active, false)
  RETURNING d.is_deleted
)
SELECT count(*) FILTER (WHERE is_deleted)::int AS deleted FROM m;
