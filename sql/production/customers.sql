-- Customers: reads staging.customers (and production.customers for taken
-- emails); writes work.v_customers (every row's status and reasons) and
-- production.customers (upserts; in a full load, ids missing from the
-- snapshot marked inactive).
--
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
-- scratch: work.v_customers reference
WITH s AS (
  SELECT s.*,
    row_number() OVER (
      -- Byte order ("C"): grouping only needs equality, and it sorts several
      -- times faster than a linguistic collation.
      PARTITION BY customer_id COLLATE "C", first_name COLLATE "C", last_name COLLATE "C",
        email COLLATE "C", phone COLLATE "C", registration_date COLLATE "C",
        city COLLATE "C", state COLLATE "C", country COLLATE "C", age_group COLLATE "C"
      ORDER BY source_row) AS rn_exact,
    -- Once per row here (a level with a window is never flattened), not once
    -- per use below.
    util.is_email(s.email) AS email_ok,
    util.is_phone(s.phone) AS phone_ok
  FROM staging.customers s
),
base AS (
  SELECT source_row, source_file, rn_exact,
    coalesce(btrim(customer_id), '') AS customer_id,
    nullif(initcap(btrim(first_name)), '') AS first_name,
    nullif(initcap(btrim(last_name)), '') AS last_name,
    CASE WHEN email_ok THEN util.norm_email(email) END AS email,
    CASE WHEN phone_ok THEN util.clean_phone(phone) END AS phone,
    NOT util.blank(email) AND NOT email_ok AS email_invalid,
    NOT util.blank(phone) AND NOT phone_ok AS phone_invalid,
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
UPDATE work.v_customers v
SET status = 'rejected', reasons = v.reasons || ARRAY['duplicate_email']
WHERE v.status = 'accepted' AND v.email IS NOT NULL AND EXISTS (
  SELECT 1 FROM production.customers p
  WHERE p.email = v.email AND p.customer_id <> v.customer_id
    AND NOT EXISTS (
      SELECT 1 FROM work.v_customers w WHERE w.status = 'accepted' AND w.customer_id = p.customer_id
    )
);

-- name: upsert_customers
WITH up AS (
  INSERT INTO production.customers AS p (customer_id, first_name, last_name, email, phone,
    registration_date, city, state, country, age_group, source_file, source_row, business_date)
  SELECT customer_id, first_name, last_name, email, phone, registration_date, city, state,
    country, age_group, source_file, source_row,
    nullif(current_setting('ecom.business_date'), '')::date
  FROM work.v_customers WHERE status = 'accepted'
  ON CONFLICT (customer_id) DO UPDATE SET
    first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, email = EXCLUDED.email,
    phone = EXCLUDED.phone, registration_date = EXCLUDED.registration_date,
    city = EXCLUDED.city, state = EXCLUDED.state, country = EXCLUDED.country,
    age_group = EXCLUDED.age_group, is_active = true, source_file = EXCLUDED.source_file,
    source_row = EXCLUDED.source_row, business_date = EXCLUDED.business_date,
    updated_at = EXCLUDED.updated_at
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
    AND NOT EXISTS (SELECT 1 FROM work.v_customers v WHERE v.customer_id = p.customer_id)
  RETURNING 1
)
SELECT count(*)::int AS deactivated FROM d;
