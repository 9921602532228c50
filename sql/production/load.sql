-- Loading transactions and items: reads work.v_transactions, work.v_items,
-- work.moved_items and production.transaction_items; writes work.v_totals
-- (each transaction's total from its items), production.transactions,
-- production.transaction_items and production.item_moves.
-- Part of the transform (stages/transform.ts runs sql/production/*.sql in the
-- order of TRANSFORM_FILES, in one transaction; settings in customers.sql).

-- name: compute_totals
-- A transaction's total is the sum of its accepted items, with items already
-- in production from earlier loads; the stated amount stays when within a
-- cent. A transaction without items keeps its stated amount.
-- scratch: work.v_totals by transaction_id
WITH items AS (
  SELECT transaction_id, line_total FROM work.v_items WHERE status = 'accepted'
  UNION ALL
  SELECT i.transaction_id, i.line_total
  FROM production.transaction_items i
  JOIN work.v_transactions t ON t.transaction_id = i.transaction_id AND t.status = 'accepted'
  WHERE NOT EXISTS (
    SELECT 1 FROM work.v_items v WHERE v.transaction_id = i.transaction_id
      AND v.item_id = i.item_id AND v.status = 'accepted')
    -- Moving to another transaction in this load.
    AND NOT EXISTS (
      SELECT 1 FROM work.moved_items m WHERE m.transaction_id = i.transaction_id
        AND m.item_id = i.item_id)
),
sums AS (SELECT transaction_id, sum(line_total) AS items_total FROM items GROUP BY 1)
SELECT t.transaction_id, t.stated_total_amount, s.items_total,
  CASE WHEN s.items_total IS NULL THEN coalesce(t.stated_total_amount, 0)
    WHEN t.stated_total_amount IS NOT NULL
      AND abs(t.stated_total_amount - s.items_total) <= 0.01 THEN t.stated_total_amount
    ELSE s.items_total END AS total_amount,
  t.stated_total_amount IS NOT NULL AND s.items_total IS NOT NULL
    AND abs(t.stated_total_amount - s.items_total) > 0.01 AS corrected
FROM work.v_transactions t
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
-- What the two statements below will do, counted first: a data-modifying
-- CTE's RETURNING rows would all travel to the Citus coordinator.
SELECT count(*) FILTER (WHERE p.transaction_id IS NULL)::int AS inserted,
  count(*) FILTER (WHERE p.transaction_id IS NOT NULL
    AND (p.customer_id, p.transaction_date, p.transaction_time, p.payment_method,
      p.shipping_address, p.total_amount, p.stated_total_amount)
    IS DISTINCT FROM (t.customer_id, t.transaction_date, t.transaction_time,
      t.payment_method, t.shipping_address, x.total_amount, t.stated_total_amount))::int
    AS updated
FROM work.v_transactions t
JOIN work.v_totals x USING (transaction_id)
LEFT JOIN production.transactions p USING (transaction_id)
WHERE t.status = 'accepted';

-- name: update_transactions
-- Update the changed rows, then insert the new ones: cheaper than
-- INSERT ... ON CONFLICT for millions of rows, and the same result.
UPDATE production.transactions p SET
  customer_id = t.customer_id, transaction_date = t.transaction_date,
  transaction_time = t.transaction_time, payment_method = t.payment_method,
  shipping_address = t.shipping_address, total_amount = x.total_amount,
  stated_total_amount = t.stated_total_amount, source_file = t.source_file,
  source_row = t.source_row, updated_at = now()
FROM work.v_transactions t JOIN work.v_totals x USING (transaction_id)
WHERE t.status = 'accepted' AND p.transaction_id = t.transaction_id
  AND (p.customer_id, p.transaction_date, p.transaction_time, p.payment_method,
    p.shipping_address, p.total_amount, p.stated_total_amount)
  IS DISTINCT FROM (t.customer_id, t.transaction_date, t.transaction_time,
    t.payment_method, t.shipping_address, x.total_amount, t.stated_total_amount);

-- name: insert_transactions
INSERT INTO production.transactions (transaction_id, customer_id, transaction_date,
  transaction_time, payment_method, shipping_address, total_amount, stated_total_amount,
  source_file, source_row)
SELECT t.transaction_id, t.customer_id, t.transaction_date, t.transaction_time,
  t.payment_method, t.shipping_address, x.total_amount, t.stated_total_amount,
  t.source_file, t.source_row
FROM work.v_transactions t JOIN work.v_totals x USING (transaction_id)
WHERE t.status = 'accepted' AND NOT EXISTS (
  SELECT 1 FROM production.transactions p WHERE p.transaction_id = t.transaction_id);

-- name: move_items
-- Items that moved to another transaction (moved_items in
-- transaction_items.sql): the old row goes, the new one is inserted below,
-- and the move is kept for the warehouse, whose fact of the old row goes too.
INSERT INTO production.item_moves (transaction_id, item_id, to_transaction_id, run_id)
SELECT transaction_id, item_id, to_transaction_id, current_setting('ecom.run_id')
FROM work.moved_items;

-- name: delete_moved_items
DELETE FROM production.transaction_items p
USING work.moved_items m
WHERE p.transaction_id = m.transaction_id AND p.item_id = m.item_id;

-- name: upsert_items
-- Keyed by (transaction_id, item_id), so the distribution column is never
-- updated: a moved item is a delete (above) plus an insert. Counted first,
-- as upsert_transactions.
SELECT count(*) FILTER (WHERE p.item_id IS NULL)::int AS inserted,
  count(*) FILTER (WHERE p.item_id IS NOT NULL
    AND (p.product_id, p.quantity, p.unit_price, p.discount_percentage,
      p.line_total, p.stated_line_total)
    IS DISTINCT FROM (v.product_id, v.quantity, v.unit_price,
      v.discount_percentage, v.line_total, v.stated_line_total))::int AS updated
FROM work.v_items v
LEFT JOIN production.transaction_items p
  ON p.transaction_id = v.transaction_id AND p.item_id = v.item_id
WHERE v.status = 'accepted';

-- name: update_items
UPDATE production.transaction_items p SET
  product_id = v.product_id, quantity = v.quantity,
  unit_price = v.unit_price, discount_percentage = v.discount_percentage,
  line_total = v.line_total, stated_line_total = v.stated_line_total,
  source_file = v.source_file, source_row = v.source_row, updated_at = now()
FROM work.v_items v
WHERE v.status = 'accepted' AND p.transaction_id = v.transaction_id
  AND p.item_id = v.item_id
  AND (p.product_id, p.quantity, p.unit_price, p.discount_percentage,
    p.line_total, p.stated_line_total)
  IS DISTINCT FROM (v.product_id, v.quantity, v.unit_price,
    v.discount_percentage, v.line_total, v.stated_line_total);

-- name: insert_items
INSERT INTO production.transaction_items (item_id, transaction_id, product_id,
  quantity, unit_price, discount_percentage, line_total, stated_line_total, source_file,
  source_row)
SELECT item_id, transaction_id, product_id, quantity, unit_price, discount_percentage,
  line_total, stated_line_total, source_file, source_row
FROM work.v_items v
WHERE v.status = 'accepted' AND NOT EXISTS (
  SELECT 1 FROM production.transaction_items p
  WHERE p.transaction_id = v.transaction_id AND p.item_id = v.item_id);

-- name: bulk_end
SELECT util.bulk_end() AS recreated;
