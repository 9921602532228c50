-- Sales facts, one per line item. Reads production.transaction_items,
-- production.transactions, production.item_moves and the dimensions; writes
-- warehouse.fact_sales, work.stale_facts, work.missing_facts and work.new_facts.
-- Part of the warehouse load: stages/warehouse.ts runs sql/warehouse/*.sql in
-- the order of its FILES list, in one transaction (settings in dim_date.sql).
--
-- Everything here joins on transaction_id, fact_sales's distribution column
-- on Citus, with the dimensions as reference tables: each shard loads its
-- own facts (tests/citus_plan_test.ts checks the plans).

-- name: stale_facts
-- scratch: work.stale_facts by transaction_id
-- Facts of line items that moved to another transaction (production.item_moves,
-- sql/production/load.sql) and are no longer in production where they were.
SELECT f.transaction_id, f.item_id, f.date_key, f.customer_key, f.product_key
FROM warehouse.fact_sales f
JOIN production.item_moves m ON m.transaction_id = f.transaction_id AND m.item_id = f.item_id
WHERE NOT EXISTS (
  SELECT 1 FROM production.transaction_items i
  WHERE i.transaction_id = f.transaction_id AND i.item_id = f.item_id);

-- name: drop_stale_facts
DELETE FROM warehouse.fact_sales f
USING work.stale_facts s
WHERE f.transaction_id = s.transaction_id AND f.item_id = s.item_id;

-- name: bulk_facts
-- A first load or --rebuild into the empty fact table skips per-row
-- index work (util.bulk_begin, sql/common/functions.sql).
SELECT util.bulk_begin('warehouse.fact_sales') AS bulk;

-- name: fact_lines
-- Each production line item with the dimension versions valid on its
-- transaction date: what its fact holds. A temporary view, read by the two
-- loads below (one plans for a few thousand new items, one for all).
CREATE OR REPLACE TEMP VIEW fact_lines AS
SELECT i.item_id, i.created_at AS item_created_at,
  to_char(t.transaction_date, 'YYYYMMDD')::int AS date_key, dc.customer_key,
  dp.product_key, pm.payment_method_key, t.transaction_id, i.quantity, i.unit_price,
  i.discount_percentage,
  round(i.unit_price * i.quantity * i.discount_percentage / 100, 2) AS discount_amount,
  i.line_total, dp.cost AS unit_cost, i.line_total - dp.cost * i.quantity AS profit
FROM production.transaction_items i
JOIN production.transactions t USING (transaction_id)
JOIN warehouse.dim_customers dc ON dc.customer_id = t.customer_id
  AND t.transaction_date BETWEEN dc.effective_date AND dc.end_date
JOIN warehouse.dim_products dp ON dp.product_id = i.product_id
  AND t.transaction_date BETWEEN dp.effective_date AND dp.end_date
JOIN warehouse.dim_payment_method pm
  ON pm.payment_method_name = coalesce(t.payment_method, 'Unknown');

-- name: insert_new_facts
-- A daily load: the items created after the watermark (ecom.facts_since, set
-- by stages/warehouse.ts from warehouse.fact_watermark) that have no fact,
-- found through items_created_idx and joined by index. Both bounds on
-- created_at make the planner expect few rows, as there are, even before
-- the table has statistics. Does nothing on a first load (-infinity).
INSERT INTO warehouse.fact_sales (item_id, date_key, customer_key, product_key,
  payment_method_key, transaction_id, quantity, unit_price, discount_percentage,
  discount_amount, line_total, unit_cost, profit, created_at)
SELECT item_id, date_key, customer_key, product_key, payment_method_key, transaction_id,
  quantity, unit_price, discount_percentage, discount_amount, line_total, unit_cost, profit,
  current_setting('ecom.loaded_at')::timestamptz
FROM fact_lines l
WHERE current_setting('ecom.facts_since') <> '-infinity'
  AND l.item_created_at > current_setting('ecom.facts_since')::timestamptz
  AND l.item_created_at < 'infinity'
  AND NOT EXISTS (SELECT 1 FROM warehouse.fact_sales f
    WHERE f.transaction_id = l.transaction_id AND f.item_id = l.item_id);

-- name: hash_joins
-- The anti-joins below (facts not yet loaded, items without a fact) run over
-- every line item. Without fresh statistics after a bulk load the planner
-- probes an index once per line item, or walks the items in product order
-- through an index for a merge join; hash joins read each table once (the
-- fact load of a daily increment at scale 100: 51 s against 9 with nested
-- loops off; the first load's SELECT: 12.5 s against 5.4 with merge joins
-- off too). Until nested_loops_again, for this transaction only.
SET LOCAL enable_nestloop = off;

-- name: no_merge_joins
SET LOCAL enable_mergejoin = off;

-- name: missing_facts
-- scratch: work.missing_facts by transaction_id
-- A first load, a --rebuild or a full pass (ecom.facts_since = -infinity):
-- every line item not yet in the fact table, with its keys. A scratch table
-- first, because PostgreSQL computes a CREATE TABLE AS in parallel and an
-- INSERT ... SELECT never (the first load at scale 100: 4.5 s, and 4.1 s to
-- insert it below, against 12.3 s as one INSERT ... SELECT). Whatever the
-- watermark of a daily load misses (a clock stepped back), unmatched_items
-- below finds, and the stage then loads again this way. Empty on a daily
-- load.
SELECT l.* FROM fact_lines l
WHERE current_setting('ecom.facts_since') = '-infinity'
  AND NOT EXISTS (SELECT 1 FROM warehouse.fact_sales f
    WHERE f.transaction_id = l.transaction_id AND f.item_id = l.item_id);

-- name: insert_facts
INSERT INTO warehouse.fact_sales (item_id, date_key, customer_key, product_key,
  payment_method_key, transaction_id, quantity, unit_price, discount_percentage,
  discount_amount, line_total, unit_cost, profit, created_at)
SELECT item_id, date_key, customer_key, product_key, payment_method_key, transaction_id,
  quantity, unit_price, discount_percentage, discount_amount, line_total, unit_cost, profit,
  current_setting('ecom.loaded_at')::timestamptz
FROM work.missing_facts;

-- name: advance_watermark
-- Every item created up to here now has its fact (checked below by
-- unmatched_items, in this transaction). max() reads items_created_idx.
INSERT INTO warehouse.fact_watermark (items_created_until)
SELECT max(created_at) FROM production.transaction_items
HAVING max(created_at) IS NOT NULL
ON CONFLICT (one) DO UPDATE SET items_created_until =
  greatest(warehouse.fact_watermark.items_created_until, EXCLUDED.items_created_until);

-- name: inserted_facts
SELECT count(*)::int AS inserted FROM warehouse.fact_sales
WHERE created_at = current_setting('ecom.loaded_at')::timestamptz;

-- name: bulk_facts_end
SELECT util.bulk_end() AS recreated;

-- name: new_facts
-- scratch: work.new_facts by transaction_id
-- What this run added (and, below, dropped), so that fact_orders and the
-- aggregates are recomputed only where it lands. Two statements, not a
-- UNION ALL, which Citus would repartition.
SELECT transaction_id, date_key, customer_key, product_key FROM warehouse.fact_sales
WHERE created_at = current_setting('ecom.loaded_at')::timestamptz;

-- name: dropped_facts
INSERT INTO work.new_facts (transaction_id, date_key, customer_key, product_key)
SELECT transaction_id, date_key, customer_key, product_key FROM work.stale_facts;

-- name: unmatched_items
-- Every production line item must have its fact (checked by the stage).
-- Those created up to the watermark were never read by a daily load: the
-- stage then loads again over every item. The others found no dimension row.
SELECT count(*)::int AS missing,
  count(*) FILTER (WHERE i.created_at <= current_setting('ecom.facts_since')::timestamptz)::int
    AS before_watermark
FROM production.transaction_items i
WHERE NOT EXISTS (SELECT 1 FROM warehouse.fact_sales f
  WHERE f.transaction_id = i.transaction_id AND f.item_id = i.item_id);

-- name: nested_loops_again
RESET enable_nestloop;

-- name: merge_joins_again
RESET enable_mergejoin;
