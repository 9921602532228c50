-- Quality checks over staging.customers in one pass: one output row per
-- check with rows checked, rows failing and the first ten failing records.
WITH c AS (
  SELECT s.*, btrim(s.customer_id) AS id,
    row_number() OVER (PARTITION BY btrim(s.customer_id) COLLATE "C" ORDER BY s.source_row) AS rn_id,
    row_number() OVER (
      -- Byte order ("C"): grouping only needs equality, and it sorts several
      -- times faster than a linguistic collation.
      PARTITION BY s.customer_id COLLATE "C", s.first_name COLLATE "C",
        s.last_name COLLATE "C", s.email COLLATE "C", s.phone COLLATE "C",
        s.registration_date COLLATE "C", s.city COLLATE "C", s.state COLLATE "C",
        s.country COLLATE "C", s.age_group COLLATE "C"
      ORDER BY s.source_row) AS rn_exact
  FROM staging.customers s
),
e AS (
  -- Emails are compared across distinct customers (first row of each id).
  SELECT source_row,
    row_number() OVER (PARTITION BY util.norm_email(email) COLLATE "C" ORDER BY source_row) AS rn_email
  FROM c
  WHERE rn_id = 1 AND NOT util.blank(customer_id) AND NOT util.blank(email)
),
f AS (
  SELECT c.*, e.rn_email,
    util.blank(customer_id) OR util.blank(registration_date) AS f_missing,
    NOT util.blank(customer_id) AND rn_exact > 1 AS f_exact,
    NOT util.blank(customer_id) AND rn_id > 1 AND rn_exact = 1 AS f_conflict,
    NOT util.blank(registration_date) AND NOT util.is_date(registration_date) AS f_date,
    NOT util.blank(email) AND NOT util.is_email(email) AS f_email,
    -- Outside the plausible range: $1 latest, $2 earliest (lib/plausible.ts).
    util.is_date(registration_date)
      AND btrim(registration_date)::date NOT BETWEEN $2::date AND $1::date AS f_future,
    NOT util.blank(age_group) AND NOT util.is_age_group(age_group) AS f_category
  FROM c LEFT JOIN e USING (source_row)
),
agg AS (
  SELECT
    count(*) AS n,
    count(*) FILTER (WHERE NOT util.blank(customer_id)) AS n_id,
    count(*) FILTER (WHERE rn_email IS NOT NULL) AS n_email_distinct,
    count(*) FILTER (WHERE NOT util.blank(registration_date)) AS n_date,
    count(*) FILTER (WHERE NOT util.blank(email)) AS n_email,
    count(*) FILTER (WHERE util.is_date(registration_date)) AS n_date_ok,
    count(*) FILTER (WHERE NOT util.blank(age_group)) AS n_age,
    count(*) FILTER (WHERE f_missing) AS x_missing,
    count(*) FILTER (WHERE util.blank(customer_id)) AS x_missing_id,
    count(*) FILTER (WHERE util.blank(registration_date)) AS x_missing_date,
    count(*) FILTER (WHERE f_exact) AS x_exact,
    count(*) FILTER (WHERE f_conflict) AS x_conflict,
    count(*) FILTER (WHERE rn_email > 1) AS x_dup_email,
    count(*) FILTER (WHERE f_date) AS x_date,
    count(*) FILTER (WHERE f_email) AS x_email,
    count(*) FILTER (WHERE f_future) AS x_future,
    count(*) FILTER (WHERE f_category) AS x_category,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_missing))[1:10] AS i_missing,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_missing))[1:10] AS r_missing,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_exact))[1:10] AS i_exact,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_exact))[1:10] AS r_exact,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_conflict))[1:10] AS i_conflict,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_conflict))[1:10] AS r_conflict,
    (array_agg(id ORDER BY source_row) FILTER (WHERE rn_email > 1))[1:10] AS i_dup_email,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE rn_email > 1))[1:10] AS r_dup_email,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_date))[1:10] AS i_date,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_date))[1:10] AS r_date,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_email))[1:10] AS i_email,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_email))[1:10] AS r_email,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_future))[1:10] AS i_future,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_future))[1:10] AS r_future,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_category))[1:10] AS i_category,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_category))[1:10] AS r_category
  FROM f
)
SELECT v.* FROM agg CROSS JOIN LATERAL (VALUES
  ('customers.missing_mandatory', n, x_missing, i_missing, r_missing,
    jsonb_build_object('customer_id', x_missing_id, 'registration_date', x_missing_date)),
  ('customers.exact_duplicate', n_id, x_exact, i_exact, r_exact, NULL::jsonb),
  ('customers.conflicting_duplicate', n_id, x_conflict, i_conflict, r_conflict, NULL),
  ('customers.duplicate_email', n_email_distinct, x_dup_email, i_dup_email, r_dup_email, NULL),
  ('customers.unparseable_date', n_date, x_date, i_date, r_date, NULL),
  ('customers.malformed_email', n_email, x_email, i_email, r_email, NULL),
  ('customers.future_date', n_date_ok, x_future, i_future, r_future, NULL),
  ('customers.unknown_category', n_age, x_category, i_category, r_category, NULL)
) AS v (check_name, checked, failed, sample_ids, sample_rows, detail)
