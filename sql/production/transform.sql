-- Staging -> production, set-based, run in order in one transaction by
-- stages/transform.ts. Session settings: ecom.run_id, ecom.staging_loaded_at,
-- ecom.full_refresh
-- ('on' marks ids missing from a full snapshot inactive), ecom.business_date
-- (the increment's day, '' for full loads: an older day never overwrites a
-- row a later day wrote), ecom.earliest_date and ecom.latest_date (the
-- plausible range of dates: quality.earliestDate, and the business day plus
-- one day of slack; lib/plausible.ts).
--
-- Only mandatory values reject a row (docs/data_quality.md). An invalid
-- optional value (an email or phone of the wrong form, a negative or
-- unparseable cost or stock, an unparseable time, total or line total) is
-- set to NULL and counted by nulled_values; the row is kept.
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
      -- Byte order ("C"): grouping only needs equality, and it sorts several
      -- times faster than a linguistic collation.
      PARTITION BY customer_id COLLATE "C", first_name COLLATE "C", last_name COLLATE "C",
        email COLLATE "C", phone COLLATE "C", registration_date COLLATE "C",
        city COLLATE "C", state COLLATE "C", country COLLATE "C", age_group COLLATE "C"
      ORDER BY source_row) AS rn_exact
  FROM staging.customers s
),
base AS (
  SELECT source_row, source_file, rn_exact,
    coalesce(btrim(customer_id), '') AS customer_id,
    nullif(initcap(btrim(first_name)), '') AS first_name,
    nullif(initcap(btrim(last_name)), '') AS last_name,
    CASE WHEN util.is_email(email) THEN util.norm_email(email) END AS email,
    CASE WHEN util.is_phone(phone) THEN util.clean_phone(phone) END AS phone,
    NOT util.blank(email) AND NOT util.is_email(email) AS email_invalid,
    NOT util.blank(phone) AND NOT util.is_phone(phone) AS phone_invalid,
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
        THEN 'unparseable_registration_date' END,
      CASE WHEN util.is_date(registration_date)
          AND btrim(registration_date)::date > current_setting('ecom.latest_date')::date
        THEN 'future_registration_date' END,
      CASE WHEN util.is_date(registration_date)
          AND btrim(registration_date)::date < current_setting('ecom.earliest_date')::date
        THEN 'implausible_registration_date' END
    ], NULL) AS reasons
  FROM s
),
ranked AS (
  SELECT base.*,
    min(source_row) FILTER (WHERE rn_exact = 1 AND cardinality(reasons) = 0)
      OVER (PARTITION BY customer_id COLLATE "C") AS winner
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
          COLLATE "C"
        ORDER BY source_row)
    END AS email_rank
  FROM dedup
)
SELECT source_row, source_file, customer_id, first_name, last_name, email, phone,
  registration_date, city, state, country, age_group, email_invalid, phone_invalid,
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
-- Big tables in two steps: one pass checks every row as if its id were unique
-- (no sort, no window over millions of rows), then dedup_* fixes up the few
-- rows whose id repeats. Values come parsed from work.transactions
-- (sql/work/typed.sql, built by lib/typed_staging.ts before this runs).
CREATE TEMP TABLE v_transactions ON COMMIT DROP AS
SELECT staging_ctid, source_row, source_file, transaction_id, customer_id, transaction_date,
  transaction_time, payment_method, shipping_address, stated_total_amount, time_invalid,
  total_invalid,
  CASE WHEN cardinality(reasons) = 0 THEN 'accepted' ELSE 'rejected' END AS status, reasons
FROM (
  SELECT w.staging_ctid, w.source_row, w.source_file, coalesce(w.id, '') AS transaction_id,
    w.cust AS customer_id, w.transaction_date, w.transaction_time,
    coalesce(w.payment_name, w.payment_raw) AS payment_method, w.shipping_address,
    round(w.total_amount, 2) AS stated_total_amount,
    -- Optional: an unparseable time is NULL; the total is computed from the items.
    NOT w.time_blank AND NOT w.time_ok AS time_invalid,
    NOT w.total_blank AND NOT w.total_ok AS total_invalid,
    array_remove(ARRAY[
      CASE WHEN w.id_blank THEN 'missing_transaction_id' END,
      CASE WHEN w.cust_blank THEN 'missing_customer_id' END,
      CASE WHEN w.date_blank THEN 'missing_transaction_date' END,
      CASE WHEN NOT w.date_blank AND NOT w.date_ok THEN 'unparseable_transaction_date' END,
      -- It did not happen as recorded: after the business day being loaded
      -- (one day of slack for time zones), or before the earliest plausible day.
      CASE WHEN w.transaction_date > current_setting('ecom.latest_date')::date
        THEN 'future_transaction_date' END,
      CASE WHEN w.transaction_date < current_setting('ecom.earliest_date')::date
        THEN 'implausible_transaction_date' END,
      -- The parent must be in production (this load's or an earlier one).
      CASE WHEN NOT w.cust_blank AND pc.customer_id IS NULL
        THEN CASE WHEN vc.customer_id IS NOT NULL
          THEN 'customer_rejected' ELSE 'orphan_customer' END
      END
    ], NULL) AS reasons
  FROM work.transactions w
  LEFT JOIN production.customers pc ON pc.customer_id = w.cust
  LEFT JOIN (SELECT DISTINCT customer_id FROM v_customers) vc ON vc.customer_id = w.cust
  -- Fence: the reasons are evaluated once per row, not once per reference.
  OFFSET 0
) t;

-- name: analyze_transactions
-- Temporary tables have no statistics until analyzed; without them the
-- planner guesses a few hundred rows and sorts millions for merge joins.
ANALYZE v_transactions;

-- name: dedup_transactions
-- Among rows sharing an id: exact copies of an earlier row are collapsed; the
-- first valid row in file order wins and the others are duplicate_conflict.
WITH dup AS (SELECT id AS transaction_id FROM work.transaction_dups),
r AS (
  SELECT v.source_row, v.transaction_id, v.reasons,
    row_number() OVER (
      PARTITION BY s.transaction_id, s.customer_id, s.transaction_date, s.transaction_time,
        s.payment_method, s.shipping_address, s.total_amount
      ORDER BY v.source_row) AS rn_exact
  FROM v_transactions v JOIN dup USING (transaction_id)
  -- By address (sql/work/typed.sql): a few probes instead of a scan of staging.
  CROSS JOIN LATERAL (SELECT * FROM staging.transactions s
    WHERE s.ctid = v.staging_ctid AND s.source_row = v.source_row OFFSET 0) s
),
w AS (
  SELECT r.*, min(source_row) FILTER (WHERE rn_exact = 1 AND cardinality(reasons) = 0)
    OVER (PARTITION BY transaction_id) AS winner
  FROM r
)
UPDATE v_transactions v SET
  status = CASE WHEN w.rn_exact > 1 THEN 'collapsed'
    WHEN cardinality(w.reasons) = 0 AND w.winner = w.source_row THEN 'accepted'
    ELSE 'rejected' END,
  reasons = w.reasons || CASE WHEN w.winner <> w.source_row
    THEN ARRAY['duplicate_conflict'] ELSE '{}'::text[] END
FROM w WHERE v.source_row = w.source_row;

-- name: known_parents
-- Every parent id an item may reference, once: in production (an earlier
-- load, or accepted in this one) or only staged (and rejected). One join per
-- parent in validate_items instead of two.
CREATE TEMP TABLE k_transactions ON COMMIT DROP AS
SELECT coalesce(v.transaction_id, p.transaction_id) AS transaction_id,
  coalesce(v.accepted, false) OR p.transaction_id IS NOT NULL AS known,
  v.transaction_id IS NOT NULL AS staged
FROM (SELECT transaction_id, bool_or(status = 'accepted') AS accepted
  FROM v_transactions GROUP BY 1) v
FULL JOIN production.transactions p USING (transaction_id);

-- name: known_products
CREATE TEMP TABLE k_products ON COMMIT DROP AS
SELECT coalesce(v.product_id, p.product_id) AS product_id,
  p.product_id IS NOT NULL AS known, v.product_id IS NOT NULL AS staged
FROM (SELECT DISTINCT product_id FROM v_products) v
FULL JOIN production.products p USING (product_id);

-- name: analyze_parents
ANALYZE k_transactions, k_products;

-- name: validate_items
CREATE TEMP TABLE v_items ON COMMIT DROP AS
SELECT staging_ctid, source_row, source_file, item_id, transaction_id, product_id, quantity,
  unit_price, discount_percentage, stated_line_total,
  -- Derived: an unparseable stated line total is replaced by the formula.
  NOT lt_blank AND NOT lt_ok AS line_total_invalid,
  -- Keep the stated amount when it is within a cent of the formula.
  CASE WHEN stated_line_total IS NOT NULL AND abs(stated_line_total - computed) <= 0.01
    THEN stated_line_total ELSE computed END AS line_total,
  stated_line_total IS NOT NULL AND abs(stated_line_total - computed) > 0.01 AS corrected,
  CASE WHEN cardinality(reasons) = 0 THEN 'accepted' ELSE 'rejected' END AS status, reasons
FROM (
  SELECT c.*,
    -- Most rows are clean: one test instead of building an array per row.
    CASE WHEN item_id <> '' AND NOT txn_blank AND NOT prod_blank AND q_ok AND p_ok
      AND (d_blank OR d_ok) AND quantity > 0 AND unit_price >= 0
      AND discount_percentage BETWEEN 0 AND 100 AND txn_known AND prod_known
      -- Fits numeric(12,2) and numeric(14,2).
      AND unit_price < 1e10 AND abs(computed) < 1e12
    THEN '{}'::text[] ELSE array_remove(ARRAY[
      CASE WHEN item_id = '' THEN 'missing_item_id' END,
      CASE WHEN txn_blank THEN 'missing_transaction_id' END,
      CASE WHEN prod_blank THEN 'missing_product_id' END,
      CASE WHEN q_blank THEN 'missing_quantity' END,
      CASE WHEN p_blank THEN 'missing_unit_price' END,
      CASE WHEN NOT q_blank AND NOT q_ok THEN 'unparseable_quantity' END,
      CASE WHEN NOT p_blank AND NOT p_ok THEN 'unparseable_unit_price' END,
      CASE WHEN NOT d_blank AND NOT d_ok THEN 'unparseable_discount_percentage' END,
      CASE WHEN quantity <= 0 THEN 'non_positive_quantity' END,
      CASE WHEN unit_price < 0 THEN 'negative_unit_price' END,
      CASE WHEN discount_percentage NOT BETWEEN 0 AND 100 THEN 'discount_out_of_range' END,
      -- Parses, but does not fit numeric(12,2) / numeric(14,2) (a stated line
      -- total has at most 11 digits and always fits).
      CASE WHEN abs(unit_price) >= 1e10 OR abs(computed) >= 1e12 THEN 'amount_out_of_range' END,
      CASE WHEN NOT txn_blank AND NOT txn_known THEN
        CASE WHEN txn_staged THEN 'transaction_rejected' ELSE 'orphan_transaction' END
      END,
      CASE WHEN NOT prod_blank AND NOT prod_known THEN
        CASE WHEN prod_staged THEN 'product_rejected' ELSE 'orphan_product' END
      END
    ], NULL) END AS reasons
  FROM (
    -- The formula once per row, for the checks above and the amounts below.
    SELECT t.*, round(quantity * unit_price * (100 - discount_percentage) / 100, 2) AS computed
    FROM (
      SELECT w.staging_ctid, w.source_row, w.source_file, coalesce(w.id, '') AS item_id,
        w.txn AS transaction_id, w.prod AS product_id,
        w.txn_blank, w.prod_blank, w.q_blank, w.p_blank, w.d_blank, w.lt_blank,
        w.q_ok, w.p_ok, w.d_ok, w.lt_ok, w.quantity,
        round(w.unit_price, 2) AS unit_price,
        CASE WHEN w.d_blank THEN 0 ELSE w.discount_percentage END AS discount_percentage,
        round(w.line_total, 2) AS stated_line_total,
        coalesce(kt.known, false) AS txn_known,
        coalesce(kt.staged, false) AS txn_staged,
        coalesce(kp.known, false) AS prod_known,
        coalesce(kp.staged, false) AS prod_staged
      FROM work.items w
      LEFT JOIN k_transactions kt ON kt.transaction_id = w.txn
      LEFT JOIN k_products kp ON kp.product_id = w.prod
      OFFSET 0
    ) t
    OFFSET 0
  ) c
  OFFSET 0
) x;

-- name: analyze_items
ANALYZE v_items;

-- name: dedup_items
WITH dup AS (SELECT id AS item_id FROM work.item_dups),
r AS (
  SELECT v.source_row, v.item_id, v.reasons,
    row_number() OVER (
      PARTITION BY s.item_id, s.transaction_id, s.product_id, s.quantity, s.unit_price,
        s.discount_percentage, s.line_total
      ORDER BY v.source_row) AS rn_exact
  FROM v_items v JOIN dup USING (item_id)
  CROSS JOIN LATERAL (SELECT * FROM staging.transaction_items s
    WHERE s.ctid = v.staging_ctid AND s.source_row = v.source_row OFFSET 0) s
),
w AS (
  SELECT r.*, min(source_row) FILTER (WHERE rn_exact = 1 AND cardinality(reasons) = 0)
    OVER (PARTITION BY item_id) AS winner
  FROM r
)
UPDATE v_items v SET
  status = CASE WHEN w.rn_exact > 1 THEN 'collapsed'
    WHEN cardinality(w.reasons) = 0 AND w.winner = w.source_row THEN 'accepted'
    ELSE 'rejected' END,
  reasons = w.reasons || CASE WHEN w.winner <> w.source_row
    THEN ARRAY['duplicate_conflict'] ELSE '{}'::text[] END
FROM w WHERE v.source_row = w.source_row;

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

-- name: delete_rejects
-- Replaces the rejects of this staging load, or of an earlier run of the same
-- business day, so a re-run does not repeat them. A full load is a whole
-- snapshot: its rejects replace those of every earlier full load (a re-run
-- re-ingests, so its staging_loaded_at is new), while the rejects of daily
-- increments stay with their days.
DELETE FROM production.rejected_records
WHERE staging_loaded_at = current_setting('ecom.staging_loaded_at')::timestamptz
  OR business_date = nullif(current_setting('ecom.business_date'), '')::date
  OR (current_setting('ecom.full_refresh') = 'on' AND business_date IS NULL);

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
  FROM v_transactions v
  -- The big tables' raw rows by address (sql/work/typed.sql), not by a scan.
  CROSS JOIN LATERAL (SELECT * FROM staging.transactions s
    WHERE s.ctid = v.staging_ctid AND s.source_row = v.source_row OFFSET 0) s
  WHERE v.status = 'rejected'
  UNION ALL
  SELECT 'transaction_items', v.item_id, v.source_file, v.source_row, v.reasons,
    to_jsonb(s) - 'loaded_at'
  FROM v_items v
  CROSS JOIN LATERAL (SELECT * FROM staging.transaction_items s
    WHERE s.ctid = v.staging_ctid AND s.source_row = v.source_row OFFSET 0) s
  WHERE v.status = 'rejected'
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
  -- Only accepted transactions have totals (and corrections).
  SELECT 'transactions', v.status, count(*)::int,
    CASE WHEN v.status = 'accepted'
      THEN (SELECT count(*) FILTER (WHERE corrected) FROM v_totals)::int ELSE 0 END
  FROM v_transactions v GROUP BY v.status
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
-- A bulk load started from an empty table that only accepted rows entered
-- (their ids unique, or re-creating the primary key would have failed): all
-- its rows landed from this load, so counting it is the same check as the
-- join, without a join of millions of rows.
UNION ALL SELECT 'transactions',
  CASE WHEN current_setting('ecom.bulk_transactions') = 'true'
    THEN (SELECT count(*)::int FROM production.transactions)
    ELSE (SELECT count(*)::int FROM v_transactions v
      JOIN production.transactions p USING (transaction_id) WHERE v.status = 'accepted')
  END,
  (SELECT count(*)::int FROM production.rejected_records r
    WHERE r.run_id = current_setting('ecom.run_id') AND r.table_name = 'transactions')
UNION ALL SELECT 'transaction_items',
  CASE WHEN current_setting('ecom.bulk_items') = 'true'
    THEN (SELECT count(*)::int FROM production.transaction_items)
    ELSE (SELECT count(*)::int FROM v_items v
      JOIN production.transaction_items p USING (item_id) WHERE v.status = 'accepted')
  END,
  (SELECT count(*)::int FROM production.rejected_records r
    WHERE r.run_id = current_setting('ecom.run_id') AND r.table_name = 'transaction_items');

-- name: nulled_values
-- Optional values that did not hold, set to NULL (or recomputed) in the rows
-- this load accepted; reported in transformation_summary.json.
SELECT table_name, reason, count(*)::int AS rows FROM (
  SELECT 'customers' AS table_name, 'malformed_email' AS reason FROM v_customers
    WHERE status = 'accepted' AND email_invalid
  UNION ALL SELECT 'customers', 'malformed_phone' FROM v_customers
    WHERE status = 'accepted' AND phone_invalid
  UNION ALL SELECT 'products', cost_invalid FROM v_products
    WHERE status = 'accepted' AND cost_invalid IS NOT NULL
  UNION ALL SELECT 'products', stock_invalid FROM v_products
    WHERE status = 'accepted' AND stock_invalid IS NOT NULL
  UNION ALL SELECT 'transactions', 'unparseable_transaction_time' FROM v_transactions
    WHERE status = 'accepted' AND time_invalid
  UNION ALL SELECT 'transactions', 'unparseable_total_amount' FROM v_transactions
    WHERE status = 'accepted' AND total_invalid
  UNION ALL SELECT 'transaction_items', 'unparseable_line_total' FROM v_items
    WHERE status = 'accepted' AND line_total_invalid
) n
GROUP BY 1, 2 ORDER BY 1, 2;

-- name: reject_reasons
SELECT table_name, reason, count(*)::int AS rows
FROM production.rejected_records, unnest(reasons) AS reason
WHERE run_id = current_setting('ecom.run_id')
GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2;
