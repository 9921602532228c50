-- Products: reads staging.products; writes work.v_products and production.products
-- (upserts; in a full load, ids missing from the snapshot marked inactive).
-- Part of the transform (stages/transform.ts runs sql/production/*.sql in the
-- order of TRANSFORM_FILES, in one transaction; settings in customers.sql).

-- name: validate_products
-- scratch: work.v_products reference
WITH s AS (
  SELECT s.*,
    row_number() OVER (
      PARTITION BY product_id COLLATE "C", product_name COLLATE "C", category COLLATE "C",
        sub_category COLLATE "C", price COLLATE "C", cost COLLATE "C", brand COLLATE "C",
        stock_quantity COLLATE "C", supplier_id COLLATE "C"
      ORDER BY source_row) AS rn_exact
  FROM staging.products s
),
base AS (
  SELECT source_row, source_file, rn_exact,
    coalesce(btrim(product_id), '') AS product_id,
    nullif(btrim(product_name), '') AS product_name,
    nullif(btrim(category), '') AS category,
    nullif(btrim(sub_category), '') AS sub_category,
    CASE WHEN util.is_num(price) THEN round(btrim(price)::numeric, 2) END AS price,
    CASE WHEN util.is_num(cost) AND btrim(cost)::numeric >= 0
        AND round(btrim(cost)::numeric, 2) < 1e10
      THEN round(btrim(cost)::numeric, 2) END AS cost,
    nullif(btrim(brand), '') AS brand,
    CASE WHEN util.is_int(stock_quantity) AND btrim(stock_quantity)::int >= 0
      THEN btrim(stock_quantity)::int END AS stock_quantity,
    nullif(btrim(supplier_id), '') AS supplier_id,
    -- Optional values that do not hold: NULL in production, counted.
    CASE WHEN util.blank(cost) THEN NULL
      WHEN NOT util.is_num(cost) THEN 'unparseable_cost'
      WHEN btrim(cost)::numeric < 0 THEN 'negative_cost'
      WHEN round(btrim(cost)::numeric, 2) >= 1e10 THEN 'cost_out_of_range' END AS cost_invalid,
    CASE WHEN util.blank(stock_quantity) THEN NULL
      WHEN NOT util.is_int(stock_quantity) THEN 'unparseable_stock_quantity'
      WHEN btrim(stock_quantity)::int < 0 THEN 'negative_stock_quantity' END AS stock_invalid,
    array_remove(ARRAY[
      CASE WHEN util.blank(product_id) THEN 'missing_product_id' END,
      CASE WHEN util.blank(price) THEN 'missing_price' END,
      CASE WHEN NOT util.blank(price) AND NOT util.is_num(price) THEN 'unparseable_price' END,
      CASE WHEN util.is_num(price) AND btrim(price)::numeric < 0 THEN 'negative_price' END,
      -- Parses, but does not fit numeric(12,2): rejected, not a failed load.
      CASE WHEN util.is_num(price) AND abs(round(btrim(price)::numeric, 2)) >= 1e10
        THEN 'amount_out_of_range' END
    ], NULL) AS reasons
  FROM s
),
ranked AS (
  SELECT base.*,
    min(source_row) FILTER (WHERE rn_exact = 1 AND cardinality(reasons) = 0)
      OVER (PARTITION BY product_id COLLATE "C") AS winner
  FROM base
)
SELECT source_row, source_file, product_id, product_name, category, sub_category, price, cost,
  brand, stock_quantity, supplier_id, cost_invalid, stock_invalid,
  CASE WHEN rn_exact > 1 THEN 'collapsed'
    WHEN cardinality(reasons) = 0 AND winner = source_row THEN 'accepted'
    ELSE 'rejected' END AS status,
  reasons || CASE WHEN product_id <> '' AND winner <> source_row
    THEN ARRAY['duplicate_conflict'] ELSE '{}'::text[] END AS reasons
FROM ranked;

-- name: upsert_products
WITH up AS (
  INSERT INTO production.products AS p (product_id, product_name, category, sub_category,
    price, cost, brand, stock_quantity, supplier_id, source_file, source_row, business_date)
  SELECT product_id, product_name, category, sub_category, price, cost, brand,
    stock_quantity, supplier_id, source_file, source_row,
    nullif(current_setting('ecom.business_date'), '')::date
  FROM work.v_products WHERE status = 'accepted'
  ON CONFLICT (product_id) DO UPDATE SET
    product_name = EXCLUDED.product_name, category = EXCLUDED.category,
    sub_category = EXCLUDED.sub_category, price = EXCLUDED.price, cost = EXCLUDED.cost,
    brand = EXCLUDED.brand, stock_quantity = EXCLUDED.stock_quantity,
    supplier_id = EXCLUDED.supplier_id, is_active = true, source_file = EXCLUDED.source_file,
    source_row = EXCLUDED.source_row, business_date = EXCLUDED.business_date,
    updated_at = EXCLUDED.updated_at
  WHERE (p.business_date IS NULL OR EXCLUDED.business_date IS NULL
      OR EXCLUDED.business_date >= p.business_date)
    AND (p.product_name, p.category, p.sub_category, p.price, p.cost, p.brand,
      p.stock_quantity, p.supplier_id, p.is_active)
    IS DISTINCT FROM (EXCLUDED.product_name, EXCLUDED.category, EXCLUDED.sub_category,
      EXCLUDED.price, EXCLUDED.cost, EXCLUDED.brand, EXCLUDED.stock_quantity,
      EXCLUDED.supplier_id, true)
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted,
  count(*) FILTER (WHERE NOT inserted)::int AS updated
FROM up;

-- name: deactivate_products
WITH d AS (
  UPDATE production.products p SET is_active = false, updated_at = now()
  WHERE current_setting('ecom.full_refresh') = 'on' AND p.is_active
    AND NOT EXISTS (SELECT 1 FROM work.v_products v WHERE v.product_id = p.product_id)
  RETURNING 1
)
SELECT count(*)::int AS deactivated FROM d;
