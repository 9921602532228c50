-- Order facts, one row per order, summed from its sales facts. Reads
-- warehouse.fact_sales and work.new_facts; writes warehouse.fact_orders.
-- Part of the warehouse load: stages/warehouse.ts runs sql/warehouse/*.sql in
-- the order of its FILES list, in one transaction (settings in dim_date.sql).
-- Order-level questions (orders per month, per state, per payment method)
-- read a third of the rows and need no COUNT(DISTINCT transaction_id).
-- Grouped by transaction_id, the distribution column: no rows move on Citus.

-- name: clear_fact_orders
DELETE FROM warehouse.fact_orders
WHERE transaction_id IN (SELECT transaction_id FROM work.new_facts);

-- name: bulk_orders
SELECT util.bulk_begin('warehouse.fact_orders') AS bulk;

-- name: fact_orders
INSERT INTO warehouse.fact_orders (transaction_id, date_key, customer_key, payment_method_key,
  line_items, units, revenue, discount_amount, profit)
SELECT transaction_id, min(date_key), min(customer_key), min(payment_method_key), count(*),
  sum(quantity), sum(line_total), sum(discount_amount), sum(profit)
FROM warehouse.fact_sales
WHERE transaction_id IN (SELECT transaction_id FROM work.new_facts)
GROUP BY transaction_id;

-- name: bulk_orders_end
SELECT util.bulk_end() AS recreated;
