-- Loading transactions and items: reads v_transactions, v_items and
-- production.transaction_items; writes v_totals (each transaction's total from
-- its items) and production.transactions and production.transaction_items.
-- Part of the transform (stages/transform.ts runs sql/production/*.sql in the
-- order of TRANSFORM_FILES, in one transaction; settings in customers.sql).

-- name: compute_totals
-- A transaction's total is the sum of its accepted items, with items already
-- in production from earlier loads; the stated amount stays when within a
-- cent. A transaction without items keeps its stated amount.
CREATE TEMP TABLE v_totals ON COMMIT DROP AS
WITH items AS (
  SELECT transaction_id, line_total FROM v_items WHERE status = 'accepted'
  UNION ALL
  SELECT i.transaction_id, i.line_total
  FROM production.transaction_items i
  JOIN v_transactions t ON t.transaction_id = i.transaction_id AND t.status = 'accepted'
  WHERE NOT EXISTS (
    SELECT 1 FROM v_items v WHERE v.item_id = i.item_id AND v.status = 'accepted')
),
sums AS (SELECT transaction_id, sum(line_total) AS items_total FROM items GROUP BY 1)
SELECT t.transaction_id, t.stated_total_amount, s.items_total,
  CASE WHEN s.items_total IS NULL THEN coalesce(t.stated_total_amount, 0)
    WHEN t.stated_total_amount IS NOT NULL
      AND abs(t.stated_total_amount - s.items_total) <= 0.01 THEN t.stated_total_amount
    ELSE s.items_total END AS total_amount,
  t.stated_total_amount IS NOT NULL AND s.items_total IS NOT NULL
    AND abs(t.stated_total_amount - s.items_total) > 0.01 AS corrected
FROM v_transactions t
LEFT JOIN sums s USING (transaction_id)
WHERE t.status = 'accepted';

-- name: bulk_begin
-- A first load into empty tables skips per-row foreign-key and index work
-- (util.bulk_begin in sql/common/functions.sql); bulk_end restores it.
-- The outcome is kept in session settings for reconcile.
SELECT set_config('ecom.bulk_items',
    util.bulk_begin('production.transaction_items')::text, true) AS items,
  set_config('ecom.bulk_transactions',
    util.bulk_begin('production.transactions')::text, true) AS transactions;

-- name: upsert_transactions
-- Update the changed rows, then insert the new ones: cheaper than
-- INSERT ... ON CONFLICT for millions of rows, and the same result.
WITH changed AS (
  UPDATE production.transactions p SET
    customer_id = t.customer_id, transaction_date = t.transaction_date,
    transaction_time = t.transaction_time, payment_method = t.payment_method,
    shipping_address = t.shipping_address, total_amount = x.total_amount,
    stated_total_amount = t.stated_total_amount, source_file = t.source_file,
    source_row = t.source_row, updated_at = now()
  FROM v_transactions t JOIN v_totals x USING (transaction_id)
  WHERE t.status = 'accepted' AND p.transaction_id = t.transaction_id
    AND (p.customer_id, p.transaction_date, p.transaction_time, p.payment_method,
      p.shipping_address, p.total_amount, p.stated_total_amount)
    IS DISTINCT FROM (t.customer_id, t.transaction_date, t.transaction_time,
      t.payment_method, t.shipping_address, x.total_amount, t.stated_total_amount)
  RETURNING 1
),
added AS (
  INSERT INTO production.transactions (transaction_id, customer_id, transaction_date,
    transaction_time, payment_method, shipping_address, total_amount, stated_total_amount,
    source_file, source_row)
  SELECT t.transaction_id, t.customer_id, t.transaction_date, t.transaction_time,
    t.payment_method, t.shipping_address, x.total_amount, t.stated_total_amount,
    t.source_file, t.source_row
  FROM v_transactions t JOIN v_totals x USING (transaction_id)
  WHERE t.status = 'accepted' AND NOT EXISTS (
    SELECT 1 FROM production.transactions p WHERE p.transaction_id = t.transaction_id)
  RETURNING 1
)
SELECT (SELECT count(*) FROM added)::int AS inserted,
  (SELECT count(*) FROM changed)::int AS updated;

-- name: upsert_items
WITH changed AS (
  UPDATE production.transaction_items p SET
    transaction_id = v.transaction_id, product_id = v.product_id, quantity = v.quantity,
    unit_price = v.unit_price, discount_percentage = v.discount_percentage,
    line_total = v.line_total, stated_line_total = v.stated_line_total,
    source_file = v.source_file, source_row = v.source_row, updated_at = now()
  FROM v_items v
  WHERE v.status = 'accepted' AND p.item_id = v.item_id
    AND (p.transaction_id, p.product_id, p.quantity, p.unit_price, p.discount_percentage,
      p.line_total, p.stated_line_total)
    IS DISTINCT FROM (v.transaction_id, v.product_id, v.quantity, v.unit_price,
      v.discount_percentage, v.line_total, v.stated_line_total)
  RETURNING 1
),
added AS (
  INSERT INTO production.transaction_items (item_id, transaction_id, product_id,
    quantity, unit_price, discount_percentage, line_total, stated_line_total, source_file,
    source_row)
  SELECT item_id, transaction_id, product_id, quantity, unit_price, discount_percentage,
    line_total, stated_line_total, source_file, source_row
  FROM v_items v
  WHERE v.status = 'accepted' AND NOT EXISTS (
    SELECT 1 FROM production.transaction_items p WHERE p.item_id = v.item_id)
  RETURNING 1
)
SELECT (SELECT count(*) FROM added)::int AS inserted,
  (SELECT count(*) FROM changed)::int AS updated;

-- name: bulk_end
SELECT util.bulk_end() AS recreated;
