-- Order facts, one row per order, summed from its sales facts. Reads
-- warehouse.fact_sales and work.new_facts; writes warehouse.fact_orders.
-- Part of the warehouse load: stages/warehouse.ts runs sql/warehouse/*.sql in
-- the order of its FILES list, in one transaction (settings in dim_date.sql).
-- Order-level questions (orders per month, per state, per payment method)
-- read a third of the rows and need no COUNT(DISTINCT transaction_id).
-- Grouped by transaction_id, the distribution column: no rows move on Citus.

-- name: clear_fact_orders
-- A daily load: the orders this run touched are grouped again below.
DELETE FROM warehouse.fact_orders
WHERE current_setting('ecom.facts_since') <> '-infinity'
  AND transaction_id IN (SELECT transaction_id FROM work.new_facts);

-- name: clear_all_fact_orders
-- A first load, a --rebuild or a full pass (ecom.facts_since = -infinity,
-- see fact_sales.sql) groups every order again (all_fact_orders): one pass
-- over the facts, no lookup in millions of new_facts.
DELETE FROM warehouse.fact_orders
WHERE current_setting('ecom.facts_since') = '-infinity';

-- name: bulk_orders
SELECT util.bulk_begin('warehouse.fact_orders') AS bulk;

-- name: sorted_groups
-- Orders are grouped from the facts by transaction_id. On millions of facts
-- a hash table spills to disk; walking fact_sales_pkey in transaction order
-- needs no memory (the first load at scale 100: 6.8 s against 3.0). Until
-- hash_groups_again.
SET LOCAL enable_hashagg = off;

-- name: fact_orders
-- A daily load: the orders of what this run added or dropped.
INSERT INTO warehouse.fact_orders (transaction_id, date_key, customer_key, payment_method_key,
  line_items, units, revenue, discount_amount, profit)
SELECT transaction_id, min(date_key), min(customer_key), min(payment_method_key), count(*),
  sum(quantity), sum(line_total), sum(discount_amount), sum(profit)
FROM warehouse.fact_sales
WHERE current_setting('ecom.facts_since') <> '-infinity'
  AND transaction_id IN (SELECT transaction_id FROM work.new_facts)
GROUP BY transaction_id;

-- name: all_fact_orders
-- A first load, a --rebuild or a full pass: every order (clear_all_fact_orders).
INSERT INTO warehouse.fact_orders (transaction_id, date_key, customer_key, payment_method_key,
  line_items, units, revenue, discount_amount, profit)
SELECT transaction_id, min(date_key), min(customer_key), min(payment_method_key), count(*),
  sum(quantity), sum(line_total), sum(discount_amount), sum(profit)
FROM warehouse.fact_sales
WHERE current_setting('ecom.facts_since') = '-infinity'
GROUP BY transaction_id;

-- name: hash_groups_again
RESET enable_hashagg;

-- name: bulk_orders_end
SELECT util.bulk_end() AS recreated;
