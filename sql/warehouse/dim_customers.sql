-- Customers, SCD type 2. Reads production.customers and
-- production.transactions (segments); writes work.src_customers and
-- warehouse.dim_customers (SCD type 2).
-- Part of the warehouse load: stages/warehouse.ts runs sql/warehouse/*.sql in
-- the order of its FILES list, in one transaction. Session settings:
-- ecom.as_of (a date: the day a changed dimension row's new version takes
-- effect; the old one ends the day before) and ecom.loaded_at (this run's
-- timestamp, stamped on the facts it adds). A customer's or product's first
-- version is effective from 1900-01-01, so every sale, however old, finds the
-- version valid on its date.

-- name: source_customers
-- Segments from behaviour: VIP spent 10,000 or more or ordered 20 times or
-- more; Regular ordered at least 3 times; New otherwise (docs/warehouse.md).
-- scratch: work.src_customers reference
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
  FROM work.src_customers s
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
FROM work.src_customers s
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
  FROM work.src_customers s
  LEFT JOIN known k USING (customer_id)
  -- A join, not NOT EXISTS: Citus plans no correlated subquery over reference tables.
  LEFT JOIN warehouse.dim_customers cur ON cur.customer_id = s.customer_id AND cur.is_current
  WHERE cur.customer_id IS NULL
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
  LEFT JOIN work.src_customers s USING (customer_id)
  WHERE d.customer_key = d2.customer_key AND d.is_current
    AND d.is_deleted IS DISTINCT FROM NOT coalesce(s.is_active, false)
  RETURNING d.is_deleted
)
SELECT count(*) FILTER (WHERE is_deleted)::int AS deleted FROM m;
