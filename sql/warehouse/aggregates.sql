-- Aggregates by day (and category or discount band), customer and product.
-- Reads warehouse.fact_orders,
-- warehouse.fact_sales, work.new_facts and the dimensions; writes
-- work.scope_customers, work.scope_products, work.scope_days and the
-- warehouse.agg_* tables.
-- Part of the warehouse load: stages/warehouse.ts runs sql/warehouse/*.sql in
-- the order of its FILES list, in one transaction (settings in dim_date.sql).
--
-- Recomputed only for what this run touched: the days, customers and
-- products of the new facts, and the customers and products whose current
-- version changed (their metrics are keyed by it). A first load or --rebuild
-- touches everything. Day and customer figures read fact_orders (a third of
-- the rows of fact_sales).

-- name: scope_customers
-- scratch: work.scope_customers reference
SELECT DISTINCT dc.customer_id
FROM (SELECT DISTINCT customer_key FROM work.new_facts) n
JOIN warehouse.dim_customers dc USING (customer_key)
UNION
SELECT a.customer_id FROM warehouse.agg_customer_metrics a
JOIN warehouse.dim_customers d ON d.customer_id = a.customer_id AND d.is_current
WHERE d.customer_key <> a.customer_key;

-- name: scope_products
-- scratch: work.scope_products reference
SELECT DISTINCT dp.product_id
FROM (SELECT DISTINCT product_key FROM work.new_facts) n
JOIN warehouse.dim_products dp USING (product_key)
UNION
SELECT a.product_id FROM warehouse.agg_product_performance a
JOIN warehouse.dim_products d ON d.product_id = a.product_id AND d.is_current
WHERE d.product_key <> a.product_key;

-- name: scope_days
-- scratch: work.scope_days reference
-- Every day with orders too when a daily aggregate is still empty with facts
-- loaded: added by an upgrade, it is filled once from the history.
SELECT DISTINCT date_key FROM work.new_facts
UNION
SELECT date_key FROM warehouse.agg_daily_sales
WHERE NOT EXISTS (SELECT 1 FROM warehouse.agg_category_daily)
  OR NOT EXISTS (SELECT 1 FROM warehouse.agg_discount_daily);

-- name: clear_daily_sales
DELETE FROM warehouse.agg_daily_sales WHERE date_key IN (SELECT date_key FROM work.scope_days);

-- name: agg_daily_sales
INSERT INTO warehouse.agg_daily_sales (date_key, total_transactions, total_revenue,
  total_profit, unique_customers, total_quantity)
SELECT o.date_key, count(*), sum(o.revenue), sum(o.profit), count(DISTINCT dc.customer_id),
  sum(o.units)
FROM warehouse.fact_orders o
JOIN warehouse.dim_customers dc USING (customer_key)
WHERE o.date_key IN (SELECT date_key FROM work.scope_days)
GROUP BY o.date_key;

-- name: clear_category_daily
DELETE FROM warehouse.agg_category_daily
WHERE date_key IN (SELECT date_key FROM work.scope_days);

-- name: agg_category_daily
-- Orders counted per day: an order has one date, so the days add up.
INSERT INTO warehouse.agg_category_daily (date_key, category, transactions, units, revenue,
  profit)
SELECT f.date_key, p.category, count(DISTINCT f.transaction_id), sum(f.quantity),
  sum(f.line_total), sum(f.profit)
FROM warehouse.fact_sales f
JOIN warehouse.dim_products p USING (product_key)
WHERE f.date_key IN (SELECT date_key FROM work.scope_days)
GROUP BY f.date_key, p.category;

-- name: clear_discount_daily
DELETE FROM warehouse.agg_discount_daily
WHERE date_key IN (SELECT date_key FROM work.scope_days);

-- name: agg_discount_daily
INSERT INTO warehouse.agg_discount_daily (date_key, discount_band, line_items, units,
  revenue, discount_given, profit)
SELECT date_key, band, count(*), sum(quantity), sum(line_total), sum(discount_amount),
  sum(profit)
FROM (
  SELECT f.*, CASE WHEN discount_percentage = 0 THEN 0 WHEN discount_percentage <= 10 THEN 1
    WHEN discount_percentage <= 20 THEN 2 WHEN discount_percentage <= 30 THEN 3 ELSE 4 END
    AS band
  FROM warehouse.fact_sales f
  WHERE f.date_key IN (SELECT date_key FROM work.scope_days)
) banded
GROUP BY date_key, band;

-- name: clear_customer_metrics
DELETE FROM warehouse.agg_customer_metrics
WHERE customer_id IN (SELECT customer_id FROM work.scope_customers);

-- name: agg_customer_metrics
-- Across all versions of a customer, keyed by the current version.
INSERT INTO warehouse.agg_customer_metrics (customer_key, customer_id, total_transactions,
  total_spent, avg_order_value, first_purchase_date, last_purchase_date)
SELECT cur.customer_key, cur.customer_id, count(*), sum(o.revenue),
  round(sum(o.revenue) / count(*), 2), min(d.full_date), max(d.full_date)
FROM warehouse.fact_orders o
JOIN warehouse.dim_customers dc USING (customer_key)
JOIN warehouse.dim_customers cur ON cur.customer_id = dc.customer_id AND cur.is_current
JOIN warehouse.dim_date d USING (date_key)
WHERE dc.customer_id IN (SELECT customer_id FROM work.scope_customers)
GROUP BY cur.customer_key, cur.customer_id;

-- name: clear_product_performance
DELETE FROM warehouse.agg_product_performance
WHERE product_id IN (SELECT product_id FROM work.scope_products);

-- name: agg_product_performance
INSERT INTO warehouse.agg_product_performance (product_key, product_id, total_quantity_sold,
  total_revenue, total_profit, avg_discount_percentage)
SELECT cur.product_key, cur.product_id, sum(f.quantity), sum(f.line_total), sum(f.profit),
  round(avg(f.discount_percentage), 2)
FROM warehouse.fact_sales f
JOIN warehouse.dim_products dp USING (product_key)
JOIN warehouse.dim_products cur ON cur.product_id = dp.product_id AND cur.is_current
WHERE dp.product_id IN (SELECT product_id FROM work.scope_products)
GROUP BY cur.product_key, cur.product_id;
