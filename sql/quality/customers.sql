-- The rows the customer checks look at (lib/quality_checks.ts declares the
-- checks; checkSql adds the counting): every staging row with its id, its
-- rank among rows of the same id and among exact copies, and its rank among
-- the customers sharing its email.
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
rows AS (
  SELECT c.*, e.rn_email FROM c LEFT JOIN e USING (source_row)
)
