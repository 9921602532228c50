-- production -> warehouse, run in order in one transaction by
-- stages/warehouse.ts. Session setting ecom.as_of (a date): the day a changed
-- dimension row's new version takes effect (the old one ends the day before).
-- A customer's or product's first version is effective from 1900-01-01, so
-- every sale, however old, finds the version valid on its date.

-- name: fill_dates
-- Whole years around the accepted facts (and the day changes take effect):
-- the calendar of reports spans the sales, not the customers' registrations.
WITH bounds AS (
  SELECT (SELECT min(transaction_date) FROM production.transactions) AS lo,
    greatest((SELECT max(transaction_date) FROM production.transactions),
      current_setting('ecom.as_of')::date) AS hi
),
days AS (
  SELECT g.d::date AS d
  FROM bounds, generate_series(date_trunc('year', lo),
    date_trunc('year', hi) + interval '1 year - 1 day', interval '1 day') AS g(d)
  WHERE lo IS NOT NULL
),
ins AS (
  INSERT INTO warehouse.dim_date (date_key, full_date, year, quarter, month, day, month_name,
    day_name, week_of_year, is_weekend, is_holiday, holiday_name)
  SELECT to_char(d, 'YYYYMMDD')::int, d, extract(year FROM d)::int,
    extract(quarter FROM d)::int, extract(month FROM d)::int, extract(day FROM d)::int,
    trim(to_char(d, 'Month')), trim(to_char(d, 'Day')), extract(week FROM d)::int,
    extract(isodow FROM d) IN (6, 7), h.name IS NOT NULL, h.name
  FROM days
  LEFT JOIN warehouse.holidays h
    ON h.month = extract(month FROM d) AND h.day = extract(day FROM d)
  ON CONFLICT (date_key) DO NOTHING
  RETURNING 1
)
SELECT count(*)::int AS inserted FROM ins;

-- name: refresh_holidays
-- Holidays added to warehouse.holidays later apply to existing days too.
UPDATE warehouse.dim_date d
SET is_holiday = h.name IS NOT NULL, holiday_name = h.name
FROM warehouse.dim_date d2
LEFT JOIN warehouse.holidays h ON h.month = d2.month AND h.day = d2.day
WHERE d.date_key = d2.date_key AND d.holiday_name IS DISTINCT FROM h.name;

-- name: payment_methods
INSERT INTO warehouse.dim_payment_method (payment_method_name, payment_type)
SELECT p.name, coalesce(
  (SELECT max(m.payment_type) FROM util.payment_methods m WHERE m.name = p.name), 'Unknown')
FROM (SELECT DISTINCT coalesce(payment_method, 'Unknown') AS name
  FROM production.transactions) p
ON CONFLICT (payment_method_name) DO NOTHING;

-- name: source_customers
-- Segments from behaviour: VIP spent 10,000 or more or ordered 20 times or
-- more; Regular ordered at least 3 times; New otherwise (docs/warehouse.md).
CREATE TEMP TABLE src_customers ON COMMIT DROP AS
WITH stats AS (
  SELECT customer_id, count(*) AS orders, sum(total_amount) AS spend
  FROM production.transactions GROUP BY 1
)
SELECT c.customer_id, nullif(concat_ws(' ', c.first_name, c.last_name), '') AS full_name,
  c.email, c.city, c.state, c.country, c.age_group, c.registration_date, c.is_active,
  CASE WHEN coalesce(s.spend, 0) >= 10000 OR coalesce(s.orders, 0) >= 20 THEN 'VIP'
    WHEN coalesce(s.orders, 0) >= 3 THEN 'Regular'
    ELSE 'New' END AS customer_segment
FROM production.customers c LEFT JOIN stats s USING (customer_id);

-- name: close_changed_customers
-- A changed customer: the current version ends the day before as_of ...
WITH closed AS (
  UPDATE warehouse.dim_customers d
  SET end_date = current_setting('ecom.as_of')::date - 1, is_current = false
  FROM src_customers s
  WHERE d.customer_id = s.customer_id AND d.is_current
    AND d.effective_date < current_setting('ecom.as_of')::date
    AND (d.full_name, d.email, d.city, d.state, d.country, d.age_group, d.customer_segment)
      IS DISTINCT FROM (s.full_name, s.email, s.city, s.state, s.country, s.age_group,
        s.customer_segment)
  RETURNING 1
)
SELECT count(*)::int AS closed FROM closed;

-- name: overwrite_same_day_customers
-- ... unless that version began on as_of itself: then it is corrected in place.
UPDATE warehouse.dim_customers d
SET full_name = s.full_name, email = s.email, city = s.city, state = s.state,
  country = s.country, age_group = s.age_group, customer_segment = s.customer_segment,
  registration_date = s.registration_date
FROM src_customers s
WHERE d.customer_id = s.customer_id AND d.is_current
  AND d.effective_date >= current_setting('ecom.as_of')::date
  AND (d.full_name, d.email, d.city, d.state, d.country, d.age_group, d.customer_segment,
      d.registration_date)
    IS DISTINCT FROM (s.full_name, s.email, s.city, s.state, s.country, s.age_group,
      s.customer_segment, s.registration_date);

-- name: open_customers
-- New ids get their first version; closed ones a new current version.
WITH known AS (SELECT DISTINCT customer_id FROM warehouse.dim_customers),
ins AS (
  INSERT INTO warehouse.dim_customers (customer_id, full_name, email, city, state, country,
    age_group, customer_segment, registration_date, effective_date, is_current, is_deleted)
  SELECT s.customer_id, s.full_name, s.email, s.city, s.state, s.country, s.age_group,
    s.customer_segment, s.registration_date,
    CASE WHEN k.customer_id IS NULL THEN DATE '1900-01-01'
      ELSE current_setting('ecom.as_of')::date END,
    true, NOT s.is_active
  FROM src_customers s
  LEFT JOIN known k USING (customer_id)
  WHERE NOT EXISTS (
    SELECT 1 FROM warehouse.dim_customers d WHERE d.customer_id = s.customer_id AND d.is_current)
  RETURNING effective_date = DATE '1900-01-01' AS first
)
SELECT count(*) FILTER (WHERE first)::int AS new_ids,
  count(*) FILTER (WHERE NOT first)::int AS new_versions
FROM ins;

-- name: mark_deleted_customers
-- Ids gone from production (or inactive there) are flagged, never deleted.
WITH m AS (
  UPDATE warehouse.dim_customers d
  SET is_deleted = NOT coalesce(s.is_active, false)
  FROM warehouse.dim_customers d2
  LEFT JOIN src_customers s USING (customer_id)
  WHERE d.customer_key = d2.customer_key AND d.is_current
    AND d.is_deleted IS DISTINCT FROM NOT coalesce(s.is_active, false)
  RETURNING d.is_deleted
)
SELECT count(*) FILTER (WHERE is_deleted)::int AS deleted FROM m;

-- name: source_products
-- Price bands fit the catalogue's spread (docs/warehouse.md).
CREATE TEMP TABLE src_products ON COMMIT DROP AS
SELECT product_id, product_name, category, sub_category, brand, price, cost, is_active,
  CASE WHEN price < 25 THEN 'Budget' WHEN price < 100 THEN 'Mid-range'
    WHEN price < 500 THEN 'Premium' ELSE 'Luxury' END AS price_range
FROM production.products;

-- name: close_changed_products
WITH closed AS (
  UPDATE warehouse.dim_products d
  SET end_date = current_setting('ecom.as_of')::date - 1, is_current = false
  FROM src_products s
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
FROM src_products s
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
  FROM src_products s
  LEFT JOIN known k USING (product_id)
  WHERE NOT EXISTS (
    SELECT 1 FROM warehouse.dim_products d WHERE d.product_id = s.product_id AND d.is_current)
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
  LEFT JOIN src_products s USING (product_id)
  WHERE d.product_key = d2.product_key AND d.is_current
    AND d.is_deleted IS DISTINCT FROM NOT coalesce(s.is_active, false)
  RETURNING d.is_deleted
)
SELECT count(*) FILTER (WHERE is_deleted)::int AS deleted FROM m;

-- name: new_facts_table
-- What this run adds, so the aggregates are recomputed only where it lands.
CREATE TEMP TABLE new_facts (transaction_id text, date_key int, customer_key bigint,
  product_key bigint) ON COMMIT DROP;

-- name: bulk_facts
-- A first load or --rebuild into the empty fact table skips per-row
-- foreign-key and index work (util.bulk_begin, sql/common/functions.sql).
SELECT util.bulk_begin('warehouse.fact_sales') AS bulk;

-- name: insert_facts
-- Line items not yet in the fact table, each pointing at the dimension
-- versions valid on its transaction date.
WITH ins AS (
  INSERT INTO warehouse.fact_sales (item_id, date_key, customer_key, product_key,
    payment_method_key, transaction_id, quantity, unit_price, discount_percentage,
    discount_amount, line_total, unit_cost, profit)
  SELECT i.item_id, to_char(t.transaction_date, 'YYYYMMDD')::int, dc.customer_key,
    dp.product_key, pm.payment_method_key, t.transaction_id, i.quantity, i.unit_price,
    i.discount_percentage,
    round(i.unit_price * i.quantity * i.discount_percentage / 100, 2),
    i.line_total, dp.cost, i.line_total - dp.cost * i.quantity
  FROM production.transaction_items i
  JOIN production.transactions t USING (transaction_id)
  JOIN warehouse.dim_customers dc ON dc.customer_id = t.customer_id
    AND t.transaction_date BETWEEN dc.effective_date AND dc.end_date
  JOIN warehouse.dim_products dp ON dp.product_id = i.product_id
    AND t.transaction_date BETWEEN dp.effective_date AND dp.end_date
  JOIN warehouse.dim_payment_method pm
    ON pm.payment_method_name = coalesce(t.payment_method, 'Unknown')
  WHERE NOT EXISTS (SELECT 1 FROM warehouse.fact_sales f WHERE f.item_id = i.item_id)
  RETURNING transaction_id, date_key, customer_key, product_key
),
kept AS (INSERT INTO new_facts SELECT * FROM ins RETURNING 1)
SELECT count(*)::int AS inserted FROM kept;

-- name: bulk_facts_end
SELECT util.bulk_end() AS recreated;

-- name: unmatched_items
-- Every production line item must have its fact (checked by the stage).
SELECT count(*)::int AS missing FROM production.transaction_items i
WHERE NOT EXISTS (SELECT 1 FROM warehouse.fact_sales f WHERE f.item_id = i.item_id);

-- name: scope_customers
-- Aggregates are recomputed only for what this run touched: the orders,
-- days, customers and products of the new facts, and the customers and
-- products whose current version changed (their metrics are keyed by it).
-- A first load or --rebuild touches everything.
CREATE TEMP TABLE scope_customers ON COMMIT DROP AS
SELECT DISTINCT dc.customer_id FROM new_facts n JOIN warehouse.dim_customers dc USING (customer_key)
UNION
SELECT a.customer_id FROM warehouse.agg_customer_metrics a
JOIN warehouse.dim_customers d ON d.customer_id = a.customer_id AND d.is_current
WHERE d.customer_key <> a.customer_key;

-- name: scope_products
CREATE TEMP TABLE scope_products ON COMMIT DROP AS
SELECT DISTINCT dp.product_id FROM new_facts n JOIN warehouse.dim_products dp USING (product_key)
UNION
SELECT a.product_id FROM warehouse.agg_product_performance a
JOIN warehouse.dim_products d ON d.product_id = a.product_id AND d.is_current
WHERE d.product_key <> a.product_key;

-- name: analyze_scope
ANALYZE new_facts, scope_customers, scope_products;

-- name: clear_fact_orders
DELETE FROM warehouse.fact_orders
WHERE transaction_id IN (SELECT transaction_id FROM new_facts);

-- name: bulk_orders
SELECT util.bulk_begin('warehouse.fact_orders') AS bulk;

-- name: fact_orders
INSERT INTO warehouse.fact_orders (transaction_id, date_key, customer_key, payment_method_key,
  line_items, units, revenue, discount_amount, profit)
SELECT transaction_id, min(date_key), min(customer_key), min(payment_method_key), count(*),
  sum(quantity), sum(line_total), sum(discount_amount), sum(profit)
FROM warehouse.fact_sales
WHERE transaction_id IN (SELECT transaction_id FROM new_facts)
GROUP BY transaction_id;

-- name: bulk_orders_end
SELECT util.bulk_end() AS recreated;

-- name: clear_daily_sales
DELETE FROM warehouse.agg_daily_sales WHERE date_key IN (SELECT date_key FROM new_facts);

-- name: agg_daily_sales
INSERT INTO warehouse.agg_daily_sales (date_key, total_transactions, total_revenue,
  total_profit, unique_customers, total_quantity)
SELECT f.date_key, count(DISTINCT f.transaction_id), sum(f.line_total), sum(f.profit),
  count(DISTINCT dc.customer_id), sum(f.quantity)
FROM warehouse.fact_sales f
JOIN warehouse.dim_customers dc USING (customer_key)
WHERE f.date_key IN (SELECT date_key FROM new_facts)
GROUP BY f.date_key;

-- name: clear_customer_metrics
DELETE FROM warehouse.agg_customer_metrics
WHERE customer_id IN (SELECT customer_id FROM scope_customers);

-- name: agg_customer_metrics
-- Across all versions of a customer, keyed by the current version.
INSERT INTO warehouse.agg_customer_metrics (customer_key, customer_id, total_transactions,
  total_spent, avg_order_value, first_purchase_date, last_purchase_date)
SELECT cur.customer_key, cur.customer_id, count(DISTINCT f.transaction_id), sum(f.line_total),
  round(sum(f.line_total) / count(DISTINCT f.transaction_id), 2), min(d.full_date),
  max(d.full_date)
FROM warehouse.fact_sales f
JOIN warehouse.dim_customers dc USING (customer_key)
JOIN warehouse.dim_customers cur ON cur.customer_id = dc.customer_id AND cur.is_current
JOIN warehouse.dim_date d USING (date_key)
WHERE dc.customer_id IN (SELECT customer_id FROM scope_customers)
GROUP BY cur.customer_key, cur.customer_id;

-- name: clear_product_performance
DELETE FROM warehouse.agg_product_performance
WHERE product_id IN (SELECT product_id FROM scope_products);

-- name: agg_product_performance
INSERT INTO warehouse.agg_product_performance (product_key, product_id, total_quantity_sold,
  total_revenue, total_profit, avg_discount_percentage)
SELECT cur.product_key, cur.product_id, sum(f.quantity), sum(f.line_total), sum(f.profit),
  round(avg(f.discount_percentage), 2)
FROM warehouse.fact_sales f
JOIN warehouse.dim_products dp USING (product_key)
JOIN warehouse.dim_products cur ON cur.product_id = dp.product_id AND cur.is_current
WHERE dp.product_id IN (SELECT product_id FROM scope_products)
GROUP BY cur.product_key, cur.product_id;

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
