-- Staging -> production, set-based, run in order in one transaction by
-- stages/transform.ts. Session settings: ecom.run_id, ecom.staging_loaded_at,
-- ecom.full_refresh
-- ('on' marks ids missing from a full snapshot inactive), ecom.business_date
-- (the increment's day, '' for full loads: an older day never overwrites a
-- row a later day wrote).
--
-- Every staging row ends up in exactly one state: accepted (upserted into
-- production), rejected (production.rejected_records, with every reason), or
-- collapsed (an exact copy of an earlier row). Among rows sharing an id, the
-- first valid row in file order wins; the others are rejected as
-- duplicate_conflict.

-- name: validate_customers
CREATE TEMP TABLE v_customers ON COMMIT DROP AS
WITH s AS (
  SELECT s.*,
    row_number() OVER (
      PARTITION BY customer_id, first_name, last_name, email, phone, registration_date,
        city, state, country, age_group
      ORDER BY source_row) AS rn_exact
  FROM staging.customers s
),
base AS (
  SELECT source_row, source_file, rn_exact,
    coalesce(btrim(customer_id), '') AS customer_id,
    nullif(initcap(btrim(first_name)), '') AS first_name,
    nullif(initcap(btrim(last_name)), '') AS last_name,
    util.norm_email(email) AS email,
    util.clean_phone(phone) AS phone,
    CASE WHEN util.is_date(registration_date) THEN btrim(registration_date)::date END
      AS registration_date,
    nullif(btrim(city), '') AS city,
    nullif(btrim(state), '') AS state,
    nullif(btrim(country), '') AS country,
    nullif(btrim(age_group), '') AS age_group,
    array_remove(ARRAY[
      CASE WHEN util.blank(customer_id) THEN 'missing_customer_id' END,
      CASE WHEN util.blank(registration_date) THEN 'missing_registration_date' END,
      CASE WHEN NOT util.blank(registration_date) AND NOT util.is_date(registration_date)
        THEN 'unparseable_registration_date' END
    ], NULL) AS reasons
  FROM s
),
ranked AS (
  SELECT base.*,
    min(source_row) FILTER (WHERE rn_exact = 1 AND cardinality(reasons) = 0)
      OVER (PARTITION BY customer_id) AS winner
  FROM base
),
dedup AS (
  SELECT ranked.*,
    reasons || CASE WHEN customer_id <> '' AND winner <> source_row
      THEN ARRAY['duplicate_conflict'] ELSE '{}'::text[] END AS reasons2
  FROM ranked
),
emails AS (
  -- Among the rows that would be accepted, the first holder of an email keeps it.
  SELECT dedup.*,
    CASE WHEN rn_exact = 1 AND cardinality(reasons2) = 0 AND email IS NOT NULL THEN
      row_number() OVER (
        PARTITION BY CASE WHEN rn_exact = 1 AND cardinality(reasons2) = 0 THEN email END
        ORDER BY source_row)
    END AS email_rank
  FROM dedup
)
SELECT source_row, source_file, customer_id, first_name, last_name, email, phone,
  registration_date, city, state, country, age_group,
  CASE WHEN rn_exact > 1 THEN 'collapsed'
    WHEN cardinality(reasons2) = 0 AND coalesce(email_rank, 1) = 1 THEN 'accepted'
    ELSE 'rejected' END AS status,
  reasons2 || CASE WHEN email_rank > 1 THEN ARRAY['duplicate_email'] ELSE '{}'::text[] END
    AS reasons
FROM emails;

-- name: reject_email_taken
-- An email already held in production by a customer this load does not touch.
UPDATE v_customers v
SET status = 'rejected', reasons = v.reasons || ARRAY['duplicate_email']
WHERE v.status = 'accepted' AND v.email IS NOT NULL AND EXISTS (
  SELECT 1 FROM production.customers p
  WHERE p.email = v.email AND p.customer_id <> v.customer_id
    AND NOT EXISTS (
      SELECT 1 FROM v_customers w WHERE w.status = 'accepted' AND w.customer_id = p.customer_id
    )
);

-- name: upsert_customers
WITH up AS (
  INSERT INTO production.customers AS p (customer_id, first_name, last_name, email, phone,
    registration_date, city, state, country, age_group, source_file, source_row, business_date)
  SELECT customer_id, first_name, last_name, email, phone, registration_date, city, state,
    country, age_group, source_file, source_row,
    nullif(current_setting('ecom.business_date'), '')::date
  FROM v_customers WHERE status = 'accepted'
  ON CONFLICT (customer_id) DO UPDATE SET
    first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, email = EXCLUDED.email,
    phone = EXCLUDED.phone, registration_date = EXCLUDED.registration_date,
    city = EXCLUDED.city, state = EXCLUDED.state, country = EXCLUDED.country,
    age_group = EXCLUDED.age_group, is_active = true, source_file = EXCLUDED.source_file,
    source_row = EXCLUDED.source_row, business_date = EXCLUDED.business_date,
    updated_at = now()
  WHERE (p.business_date IS NULL OR EXCLUDED.business_date IS NULL
      OR EXCLUDED.business_date >= p.business_date)
    AND (p.first_name, p.last_name, p.email, p.phone, p.registration_date, p.city, p.state,
      p.country, p.age_group, p.is_active)
    IS DISTINCT FROM (EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.email, EXCLUDED.phone,
      EXCLUDED.registration_date, EXCLUDED.city, EXCLUDED.state, EXCLUDED.country,
      EXCLUDED.age_group, true)
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted,
  count(*) FILTER (WHERE NOT inserted)::int AS updated
FROM up;

-- name: deactivate_customers
WITH d AS (
  UPDATE production.customers p SET is_active = false, updated_at = now()
  WHERE current_setting('ecom.full_refresh') = 'on' AND p.is_active
    AND NOT EXISTS (SELECT 1 FROM v_customers v WHERE v.customer_id = p.customer_id)
  RETURNING 1
)
SELECT count(*)::int AS deactivated FROM d;

-- name: validate_products
CREATE TEMP TABLE v_products ON COMMIT DROP AS
WITH s AS (
  SELECT s.*,
    row_number() OVER (
      PARTITION BY product_id, product_name, category, sub_category, price, cost, brand,
        stock_quantity, supplier_id
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
    CASE WHEN util.is_num(cost) THEN round(btrim(cost)::numeric, 2) END AS cost,
    nullif(btrim(brand), '') AS brand,
    CASE WHEN util.is_int(stock_quantity) THEN btrim(stock_quantity)::int END AS stock_quantity,
    nullif(btrim(supplier_id), '') AS supplier_id,
    array_remove(ARRAY[
      CASE WHEN util.blank(product_id) THEN 'missing_product_id' END,
      CASE WHEN util.blank(price) THEN 'missing_price' END,
      CASE WHEN NOT util.blank(price) AND NOT util.is_num(price) THEN 'unparseable_price' END,
      CASE WHEN NOT util.blank(cost) AND NOT util.is_num(cost) THEN 'unparseable_cost' END,
      CASE WHEN NOT util.blank(stock_quantity) AND NOT util.is_int(stock_quantity)
        THEN 'unparseable_stock_quantity' END,
      CASE WHEN util.is_num(price) AND btrim(price)::numeric < 0 THEN 'negative_price' END,
      CASE WHEN util.is_num(cost) AND btrim(cost)::numeric < 0 THEN 'negative_cost' END,
      CASE WHEN util.is_int(stock_quantity) AND btrim(stock_quantity)::int < 0
        THEN 'negative_stock_quantity' END
    ], NULL) AS reasons
  FROM s
),
ranked AS (
  SELECT base.*,
    min(source_row) FILTER (WHERE rn_exact = 1 AND cardinality(reasons) = 0)
      OVER (PARTITION BY product_id) AS winner
  FROM base
)
SELECT source_row, source_file, product_id, product_name, category, sub_category, price, cost,
  brand, stock_quantity, supplier_id,
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
  FROM v_products WHERE status = 'accepted'
  ON CONFLICT (product_id) DO UPDATE SET
    product_name = EXCLUDED.product_name, category = EXCLUDED.category,
    sub_category = EXCLUDED.sub_category, price = EXCLUDED.price, cost = EXCLUDED.cost,
    brand = EXCLUDED.brand, stock_quantity = EXCLUDED.stock_quantity,
    supplier_id = EXCLUDED.supplier_id, is_active = true, source_file = EXCLUDED.source_file,
    source_row = EXCLUDED.source_row, business_date = EXCLUDED.business_date,
    updated_at = now()
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
    AND NOT EXISTS (SELECT 1 FROM v_products v WHERE v.product_id = p.product_id)
  RETURNING 1
)
SELECT count(*)::int AS deactivated FROM d;

-- name: validate_transactions
CREATE TEMP TABLE v_transactions ON COMMIT DROP AS
WITH s AS (
  SELECT s.*,
    row_number() OVER (
      PARTITION BY transaction_id, customer_id, transaction_date, transaction_time,
        payment_method, shipping_address, total_amount
      ORDER BY source_row) AS rn_exact
  FROM staging.transactions s
),
base AS (
  SELECT s.source_row, s.source_file, s.rn_exact,
    coalesce(btrim(s.transaction_id), '') AS transaction_id,
    btrim(s.customer_id) AS customer_id,
    CASE WHEN util.is_date(s.transaction_date) THEN btrim(s.transaction_date)::date END
      AS transaction_date,
    CASE WHEN util.is_time(s.transaction_time) THEN btrim(s.transaction_time)::time END
      AS transaction_time,
    coalesce(m.name, nullif(btrim(s.payment_method), '')) AS payment_method,
    nullif(btrim(s.shipping_address), '') AS shipping_address,
    CASE WHEN util.is_num(s.total_amount) THEN round(btrim(s.total_amount)::numeric, 2) END
      AS stated_total_amount,
    array_remove(ARRAY[
      CASE WHEN util.blank(s.transaction_id) THEN 'missing_transaction_id' END,
      CASE WHEN util.blank(s.customer_id) THEN 'missing_customer_id' END,
      CASE WHEN util.blank(s.transaction_date) THEN 'missing_transaction_date' END,
      CASE WHEN NOT util.blank(s.transaction_date) AND NOT util.is_date(s.transaction_date)
        THEN 'unparseable_transaction_date' END,
      CASE WHEN NOT util.blank(s.transaction_time) AND NOT util.is_time(s.transaction_time)
        THEN 'unparseable_transaction_time' END,
      CASE WHEN NOT util.blank(s.total_amount) AND NOT util.is_num(s.total_amount)
        THEN 'unparseable_total_amount' END,
      -- The parent must be in production (this load's or an earlier one).
      CASE WHEN NOT util.blank(s.customer_id) AND pc.customer_id IS NULL
        THEN CASE WHEN vc.customer_id IS NOT NULL
          THEN 'customer_rejected' ELSE 'orphan_customer' END
      END
    ], NULL) AS reasons
  FROM s
  LEFT JOIN util.payment_methods m ON m.key = util.payment_key(s.payment_method)
  LEFT JOIN production.customers pc ON pc.customer_id = btrim(s.customer_id)
  LEFT JOIN (SELECT DISTINCT customer_id FROM v_customers) vc
    ON vc.customer_id = btrim(s.customer_id)
),
ranked AS (
  SELECT base.*,
    min(source_row) FILTER (WHERE rn_exact = 1 AND cardinality(reasons) = 0)
      OVER (PARTITION BY transaction_id) AS winner
  FROM base
)
SELECT source_row, source_file, transaction_id, customer_id, transaction_date,
  transaction_time, payment_method, shipping_address, stated_total_amount,
  CASE WHEN rn_exact > 1 THEN 'collapsed'
    WHEN cardinality(reasons) = 0 AND winner = source_row THEN 'accepted'
    ELSE 'rejected' END AS status,
  reasons || CASE WHEN transaction_id <> '' AND winner <> source_row
    THEN ARRAY['duplicate_conflict'] ELSE '{}'::text[] END AS reasons
FROM ranked;

-- name: validate_items
-- The largest table: each value is tested once (materialized flags), and only
-- rows of repeated ids are ranked, so no sort of the whole table is needed.
CREATE TEMP TABLE v_items ON COMMIT DROP AS
WITH p AS MATERIALIZED (
  SELECT source_row, source_file, item_id, transaction_id, product_id, quantity, unit_price,
    discount_percentage, line_total,
    coalesce(btrim(item_id), '') AS id,
    btrim(transaction_id) AS txn_id,
    btrim(product_id) AS prod_id,
    util.blank(transaction_id) AS txn_blank,
    util.blank(product_id) AS prod_blank,
    util.blank(quantity) AS q_blank,
    util.blank(unit_price) AS p_blank,
    util.blank(discount_percentage) AS d_blank,
    util.blank(line_total) AS lt_blank,
    util.is_int(quantity) AS q_ok,
    util.is_num(unit_price) AS p_ok,
    util.is_num(discount_percentage) AS d_ok,
    util.is_num(line_total) AS lt_ok
  FROM staging.transaction_items
),
dup_ids AS (SELECT id FROM p GROUP BY id HAVING count(*) > 1),
exact AS (
  SELECT p.source_row,
    row_number() OVER (
      PARTITION BY p.item_id, p.transaction_id, p.product_id, p.quantity, p.unit_price,
        p.discount_percentage, p.line_total
      ORDER BY p.source_row) AS rn_exact
  FROM p JOIN dup_ids USING (id)
),
txn AS (
  SELECT transaction_id FROM v_transactions WHERE status = 'accepted'
  UNION
  SELECT transaction_id FROM production.transactions
),
typed AS (
  SELECT p.*, coalesce(e.rn_exact, 1) AS rn_exact,
    CASE WHEN q_ok THEN btrim(quantity)::int END AS q,
    CASE WHEN p_ok THEN round(btrim(unit_price)::numeric, 2) END AS price,
    CASE WHEN d_blank THEN 0 WHEN d_ok THEN btrim(discount_percentage)::numeric END AS disc,
    CASE WHEN lt_ok THEN round(btrim(line_total)::numeric, 2) END AS stated,
    txn.transaction_id IS NOT NULL AS txn_known,
    vt.transaction_id IS NOT NULL AS txn_staged,
    pp.product_id IS NOT NULL AS prod_known,
    vp.product_id IS NOT NULL AS prod_staged
  FROM p
  LEFT JOIN exact e USING (source_row)
  LEFT JOIN txn ON txn.transaction_id = p.txn_id
  LEFT JOIN production.products pp ON pp.product_id = p.prod_id
  LEFT JOIN (SELECT DISTINCT transaction_id FROM v_transactions) vt
    ON vt.transaction_id = p.txn_id
  LEFT JOIN (SELECT DISTINCT product_id FROM v_products) vp ON vp.product_id = p.prod_id
),
base AS MATERIALIZED (
  SELECT source_row, source_file, rn_exact, id AS item_id, txn_id AS transaction_id,
    prod_id AS product_id, q AS quantity, price AS unit_price, disc AS discount_percentage,
    stated AS stated_line_total,
    round(q * price * (100 - disc) / 100, 2) AS computed,
    array_remove(ARRAY[
      CASE WHEN id = '' THEN 'missing_item_id' END,
      CASE WHEN txn_blank THEN 'missing_transaction_id' END,
      CASE WHEN prod_blank THEN 'missing_product_id' END,
      CASE WHEN q_blank THEN 'missing_quantity' END,
      CASE WHEN p_blank THEN 'missing_unit_price' END,
      CASE WHEN NOT q_blank AND NOT q_ok THEN 'unparseable_quantity' END,
      CASE WHEN NOT p_blank AND NOT p_ok THEN 'unparseable_unit_price' END,
      CASE WHEN NOT d_blank AND NOT d_ok THEN 'unparseable_discount_percentage' END,
      CASE WHEN NOT lt_blank AND NOT lt_ok THEN 'unparseable_line_total' END,
      CASE WHEN q <= 0 THEN 'non_positive_quantity' END,
      CASE WHEN price < 0 THEN 'negative_unit_price' END,
      CASE WHEN disc NOT BETWEEN 0 AND 100 THEN 'discount_out_of_range' END,
      CASE WHEN NOT txn_blank AND NOT txn_known THEN
        CASE WHEN txn_staged THEN 'transaction_rejected' ELSE 'orphan_transaction' END
      END,
      CASE WHEN NOT prod_blank AND NOT prod_known THEN
        CASE WHEN prod_staged THEN 'product_rejected' ELSE 'orphan_product' END
      END
    ], NULL) AS reasons
  FROM typed
),
winners AS (
  SELECT item_id, min(source_row) FILTER (WHERE rn_exact = 1 AND cardinality(reasons) = 0)
    AS winner
  FROM base WHERE item_id IN (SELECT id FROM dup_ids)
  GROUP BY item_id
),
ranked AS (
  SELECT b.*,
    CASE WHEN w.item_id IS NOT NULL THEN w.winner
      WHEN cardinality(b.reasons) = 0 THEN b.source_row END AS winner
  FROM base b LEFT JOIN winners w USING (item_id)
)
SELECT source_row, source_file, item_id, transaction_id, product_id, quantity, unit_price,
  discount_percentage, stated_line_total,
  -- Keep the stated amount when it is within a cent of the formula.
  CASE WHEN stated_line_total IS NOT NULL AND abs(stated_line_total - computed) <= 0.01
    THEN stated_line_total ELSE computed END AS line_total,
  stated_line_total IS NOT NULL AND abs(stated_line_total - computed) > 0.01 AS corrected,
  CASE WHEN rn_exact > 1 THEN 'collapsed'
    WHEN cardinality(reasons) = 0 AND winner = source_row THEN 'accepted'
    ELSE 'rejected' END AS status,
  reasons || CASE WHEN item_id <> '' AND winner <> source_row
    THEN ARRAY['duplicate_conflict'] ELSE '{}'::text[] END AS reasons
FROM ranked;

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

-- name: upsert_transactions
WITH up AS (
  INSERT INTO production.transactions AS p (transaction_id, customer_id, transaction_date,
    transaction_time, payment_method, shipping_address, total_amount, stated_total_amount,
    source_file, source_row)
  SELECT t.transaction_id, t.customer_id, t.transaction_date, t.transaction_time,
    t.payment_method, t.shipping_address, x.total_amount, t.stated_total_amount,
    t.source_file, t.source_row
  FROM v_transactions t JOIN v_totals x USING (transaction_id)
  WHERE t.status = 'accepted'
  ON CONFLICT (transaction_id) DO UPDATE SET
    customer_id = EXCLUDED.customer_id, transaction_date = EXCLUDED.transaction_date,
    transaction_time = EXCLUDED.transaction_time, payment_method = EXCLUDED.payment_method,
    shipping_address = EXCLUDED.shipping_address, total_amount = EXCLUDED.total_amount,
    stated_total_amount = EXCLUDED.stated_total_amount, source_file = EXCLUDED.source_file,
    source_row = EXCLUDED.source_row, updated_at = now()
  WHERE (p.customer_id, p.transaction_date, p.transaction_time, p.payment_method,
      p.shipping_address, p.total_amount, p.stated_total_amount)
    IS DISTINCT FROM (EXCLUDED.customer_id, EXCLUDED.transaction_date,
      EXCLUDED.transaction_time, EXCLUDED.payment_method, EXCLUDED.shipping_address,
      EXCLUDED.total_amount, EXCLUDED.stated_total_amount)
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted,
  count(*) FILTER (WHERE NOT inserted)::int AS updated
FROM up;

-- name: upsert_items
WITH up AS (
  INSERT INTO production.transaction_items AS p (item_id, transaction_id, product_id,
    quantity, unit_price, discount_percentage, line_total, stated_line_total, source_file,
    source_row)
  SELECT item_id, transaction_id, product_id, quantity, unit_price, discount_percentage,
    line_total, stated_line_total, source_file, source_row
  FROM v_items WHERE status = 'accepted'
  ON CONFLICT (item_id) DO UPDATE SET
    transaction_id = EXCLUDED.transaction_id, product_id = EXCLUDED.product_id,
    quantity = EXCLUDED.quantity, unit_price = EXCLUDED.unit_price,
    discount_percentage = EXCLUDED.discount_percentage, line_total = EXCLUDED.line_total,
    stated_line_total = EXCLUDED.stated_line_total, source_file = EXCLUDED.source_file,
    source_row = EXCLUDED.source_row, updated_at = now()
  WHERE (p.transaction_id, p.product_id, p.quantity, p.unit_price, p.discount_percentage,
      p.line_total, p.stated_line_total)
    IS DISTINCT FROM (EXCLUDED.transaction_id, EXCLUDED.product_id, EXCLUDED.quantity,
      EXCLUDED.unit_price, EXCLUDED.discount_percentage, EXCLUDED.line_total,
      EXCLUDED.stated_line_total)
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted,
  count(*) FILTER (WHERE NOT inserted)::int AS updated
FROM up;

-- name: delete_rejects
-- Replaces the rejects of this staging load, or of an earlier run of the same
-- business day, so a re-run does not repeat them.
DELETE FROM production.rejected_records
WHERE staging_loaded_at = current_setting('ecom.staging_loaded_at')::timestamptz
  OR business_date = nullif(current_setting('ecom.business_date'), '')::date;

-- name: record_rejects
WITH rejects AS (
  SELECT 'customers' AS table_name, v.customer_id AS record_id, v.source_file, v.source_row,
    v.reasons, to_jsonb(s) - 'loaded_at' AS raw
  FROM v_customers v JOIN staging.customers s USING (source_row) WHERE v.status = 'rejected'
  UNION ALL
  SELECT 'products', v.product_id, v.source_file, v.source_row, v.reasons,
    to_jsonb(s) - 'loaded_at'
  FROM v_products v JOIN staging.products s USING (source_row) WHERE v.status = 'rejected'
  UNION ALL
  SELECT 'transactions', v.transaction_id, v.source_file, v.source_row, v.reasons,
    to_jsonb(s) - 'loaded_at'
  FROM v_transactions v JOIN staging.transactions s USING (source_row)
  WHERE v.status = 'rejected'
  UNION ALL
  SELECT 'transaction_items', v.item_id, v.source_file, v.source_row, v.reasons,
    to_jsonb(s) - 'loaded_at'
  FROM v_items v JOIN staging.transaction_items s USING (source_row) WHERE v.status = 'rejected'
)
INSERT INTO production.rejected_records
  (run_id, staging_loaded_at, table_name, record_id, source_file, source_row, reasons, raw,
    business_date)
SELECT current_setting('ecom.run_id'),
  current_setting('ecom.staging_loaded_at')::timestamptz,
  table_name, nullif(record_id, ''), source_file, source_row, reasons, raw,
  nullif(current_setting('ecom.business_date'), '')::date
FROM rejects;

-- name: counts
-- Per table: staging rows, and how they split; reconciled in TypeScript.
SELECT t.table_name, t.status, t.rows, t.corrected FROM (
  SELECT 'customers' AS table_name, status, count(*)::int AS rows, 0 AS corrected
  FROM v_customers GROUP BY status
  UNION ALL
  SELECT 'products', status, count(*)::int, 0 FROM v_products GROUP BY status
  UNION ALL
  SELECT 'transactions', v.status, count(*)::int,
    count(*) FILTER (WHERE x.corrected)::int
  FROM v_transactions v LEFT JOIN v_totals x USING (transaction_id) GROUP BY v.status
  UNION ALL
  SELECT 'transaction_items', status, count(*)::int, count(*) FILTER (WHERE corrected)::int
  FROM v_items GROUP BY status
) t;

-- name: reconcile
-- What actually landed: accepted rows found in production, rejects recorded.
SELECT 'customers' AS table_name,
  (SELECT count(*)::int FROM v_customers v JOIN production.customers p USING (customer_id)
    WHERE v.status = 'accepted') AS in_production,
  (SELECT count(*)::int FROM production.rejected_records r
    WHERE r.run_id = current_setting('ecom.run_id') AND r.table_name = 'customers') AS rejected
UNION ALL SELECT 'products',
  (SELECT count(*)::int FROM v_products v JOIN production.products p USING (product_id)
    WHERE v.status = 'accepted'),
  (SELECT count(*)::int FROM production.rejected_records r
    WHERE r.run_id = current_setting('ecom.run_id') AND r.table_name = 'products')
UNION ALL SELECT 'transactions',
  (SELECT count(*)::int FROM v_transactions v JOIN production.transactions p USING (transaction_id)
    WHERE v.status = 'accepted'),
  (SELECT count(*)::int FROM production.rejected_records r
    WHERE r.run_id = current_setting('ecom.run_id') AND r.table_name = 'transactions')
UNION ALL SELECT 'transaction_items',
  (SELECT count(*)::int FROM v_items v JOIN production.transaction_items p USING (item_id)
    WHERE v.status = 'accepted'),
  (SELECT count(*)::int FROM production.rejected_records r
    WHERE r.run_id = current_setting('ecom.run_id') AND r.table_name = 'transaction_items');

-- name: reject_reasons
SELECT table_name, reason, count(*)::int AS rows
FROM production.rejected_records, unnest(reasons) AS reason
WHERE run_id = current_setting('ecom.run_id')
GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2;
