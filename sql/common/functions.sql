-- Parsing predicates shared by the quality checks and the transform, so both
-- layers agree on what "does not parse" means. Plain SQL functions: the
-- planner inlines them, and they run unchanged on PostgreSQL 15+ and PGlite
-- (pg_input_is_valid would need 16).
CREATE SCHEMA IF NOT EXISTS util;

-- NULL, empty or only whitespace.
CREATE OR REPLACE FUNCTION util.blank(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT v IS NULL OR btrim(v) = '' $$;

-- The regular expressions avoid bounded repeats ({1,10}) and \s, which make
-- PostgreSQL's regex engine several times slower on millions of rows;
-- lengths are checked separately so a cast can never overflow.

-- An integer that fits int4 (optional sign, surrounding spaces allowed).
CREATE OR REPLACE FUNCTION util.is_int(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT v ~ '^ *[-+]?[0-9]+ *$' AND length(btrim(v)) <= 10
$$;

-- A plain decimal number with at most 10 integer digits: 62, 62.0, -3.5.
CREATE OR REPLACE FUNCTION util.is_num(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT v ~ '^ *[-+]?[0-9]+(\.[0-9]*)? *$'
    AND length(split_part(btrim(v), '.', 1)) <= 11
$$;

-- A real calendar date YYYY-MM-DD (rejects 2025-02-30, 2025-13-01, 31/12/2025).
CREATE OR REPLACE FUNCTION util.is_date(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT v ~ '^ *[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] *$'
    AND substr(btrim(v), 1, 4)::int >= 1
    AND substr(btrim(v), 6, 2)::int BETWEEN 1 AND 12
    AND substr(btrim(v), 9, 2)::int BETWEEN 1 AND CASE substr(btrim(v), 6, 2)::int
      WHEN 2 THEN CASE
        WHEN substr(btrim(v), 1, 4)::int % 400 = 0 THEN 29
        WHEN substr(btrim(v), 1, 4)::int % 100 = 0 THEN 28
        WHEN substr(btrim(v), 1, 4)::int % 4 = 0 THEN 29
        ELSE 28 END
      WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30
      ELSE 31 END
$$;

-- HH:MM:SS with optional fractions of a second.
CREATE OR REPLACE FUNCTION util.is_time(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT v ~ '^ *[0-9][0-9]:[0-9][0-9]:[0-9][0-9](\.[0-9]+)? *$'
    AND substr(btrim(v), 1, 2)::int < 24
    AND substr(btrim(v), 4, 2)::int < 60
    AND substr(btrim(v), 7, 2)::int < 60
$$;

-- Emails compare trimmed and lower-cased.
CREATE OR REPLACE FUNCTION util.norm_email(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT nullif(lower(btrim(v)), '') $$;

CREATE OR REPLACE FUNCTION util.is_email(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(btrim(v)) ~ '^[a-z0-9._%+''-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'
$$;

-- Phone numbers keep digits and a leading +.
CREATE OR REPLACE FUNCTION util.clean_phone(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(
    CASE WHEN btrim(v) LIKE '+%' THEN '+' ELSE '' END || regexp_replace(v, '\D', '', 'g'),
    '')
$$;

-- The key payment-method spellings are compared on: letters only, lower case.
CREATE OR REPLACE FUNCTION util.payment_key(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(regexp_replace(v, '[^a-zA-Z]', '', 'g'))
$$;

-- Known payment methods, their spellings, and whether they are paid online.
CREATE TABLE IF NOT EXISTS util.payment_methods (
  key text PRIMARY KEY,
  name text NOT NULL,
  payment_type text NOT NULL CHECK (payment_type IN ('Online', 'Offline'))
);
INSERT INTO util.payment_methods (key, name, payment_type) VALUES
  ('creditcard', 'Credit Card', 'Online'),
  ('debitcard', 'Debit Card', 'Online'),
  ('upi', 'UPI', 'Online'),
  ('paypal', 'PayPal', 'Online'),
  ('netbanking', 'Net Banking', 'Online'),
  ('banktransfer', 'Bank Transfer', 'Online'),
  ('cashondelivery', 'Cash on Delivery', 'Offline'),
  ('cod', 'Cash on Delivery', 'Offline'),
  ('cash', 'Cash on Delivery', 'Offline')
ON CONFLICT (key) DO NOTHING;

-- The contract's age groups.
CREATE OR REPLACE FUNCTION util.is_age_group(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT btrim(v) IN ('18-25', '26-35', '36-45', '46-60', '60+')
$$;
