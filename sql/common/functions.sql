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
-- Up to 9 digits always fit; 10 digits (or a sign and 10) are compared with
-- the bounds, so 9999999999 does not parse instead of failing the cast. CASE
-- fixes the order: the bound is only computed once the shape is right.
CREATE OR REPLACE FUNCTION util.is_int(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN NOT v ~ '^ *[-+]?[0-9]+ *$' THEN false
    WHEN length(btrim(v)) <= 9 THEN true
    WHEN length(btrim(v)) > 11 THEN false
    ELSE btrim(v)::bigint BETWEEN -2147483648 AND 2147483647
  END
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

-- A line item whose four numbers are plain digits (the canonical export):
-- one regular expression instead of eight checks; anything else takes the
-- per-value checks above. Implies is_int(quantity) and is_num of the others.
CREATE OR REPLACE FUNCTION util.items_canonical(q text, p text, d text, lt text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (q || '|' || p || '|' || d || '|' || lt)
      ~ '^[0-9]+\|[0-9]+(\.[0-9]+)?\|[0-9]+(\.[0-9]+)?\|[0-9]+(\.[0-9]+)?$'
    AND length(q) < 10 AND length(p) < 12 AND length(d) < 12 AND length(lt) < 12
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

-- A phone number: digits, spaces, dots, dashes, parentheses and slashes,
-- with an optional leading + and 7 to 15 digits (E.164 allows 15). Digits are
-- counted with translate(), several times cheaper than a regexp_replace.
CREATE OR REPLACE FUNCTION util.is_phone(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT btrim(v) ~ '^\+?[0-9 .()/-]+$'
    AND length(v) - length(translate(v, '0123456789', '')) BETWEEN 7 AND 15
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

-- Bulk loads into an empty table: util.bulk_begin drops the table's foreign
-- keys, secondary indexes and (when no foreign key points at it) its primary
-- and unique keys, keeping their definitions, so millions of inserted rows cost no
-- per-row trigger, index or index-WAL work; util.bulk_end re-creates them:
-- each index is built by one sort and each foreign key validated by one
-- set-based check. Both in the caller's transaction: a failure restores
-- everything. A table that already holds rows is left alone (returns false).
-- Tables are passed child first (items before transactions), so a parent's
-- primary key is free to drop once its children's foreign keys are gone.
CREATE OR REPLACE FUNCTION util.bulk_begin(tbl regclass) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  is_empty boolean;
  r record;
BEGIN
  EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %s)', tbl) INTO is_empty;
  -- A Citus table loads shard by shard in parallel already, and Citus
  -- refuses DDL on shards this transaction has read over several connections.
  IF NOT is_empty OR util.is_distributed(tbl) THEN
    RETURN false;
  END IF;
  -- kind orders the re-creation: keys, then indexes, then foreign keys.
  CREATE TEMP TABLE IF NOT EXISTS bulk_ddl (
    seq serial, kind int NOT NULL, stmt text NOT NULL
  ) ON COMMIT DROP;
  FOR r IN
    SELECT i.indexrelid::regclass AS idx, pg_get_indexdef(i.indexrelid) AS def
    FROM pg_index i
    WHERE i.indrelid = tbl AND NOT i.indisprimary AND NOT i.indisunique
  LOOP
    INSERT INTO bulk_ddl (kind, stmt) VALUES (2, r.def);
    EXECUTE format('DROP INDEX %s', r.idx);
  END LOOP;
  FOR r IN
    SELECT c.conname, pg_get_constraintdef(c.oid) AS def
    FROM pg_constraint c WHERE c.conrelid = tbl AND c.contype = 'f'
  LOOP
    INSERT INTO bulk_ddl (kind, stmt)
    VALUES (3, format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, r.conname, r.def));
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, r.conname);
  END LOOP;
  FOR r IN
    SELECT c.conname, pg_get_constraintdef(c.oid) AS def
    FROM pg_constraint c
    WHERE c.conrelid = tbl AND c.contype IN ('p', 'u')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = tbl)
  LOOP
    INSERT INTO bulk_ddl (kind, stmt)
    VALUES (1, format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, r.conname, r.def));
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, r.conname);
  END LOOP;
  RETURN true;
END $$;

CREATE OR REPLACE FUNCTION util.bulk_end() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n integer := 0;
BEGIN
  IF to_regclass('pg_temp.bulk_ddl') IS NULL THEN
    RETURN 0;
  END IF;
  FOR r IN SELECT stmt FROM bulk_ddl ORDER BY kind, seq LOOP
    EXECUTE r.stmt;
    n := n + 1;
  END LOOP;
  DELETE FROM bulk_ddl;
  RETURN n;
END $$;

-- Citus (docs/scaling.md). The layout's one branch: whether this database
-- distributes its tables. server.distribute reaches the session as the
-- setting ecom.distribute (auto, on or off; lib/db.ts): auto distributes when
-- the citus extension is there.
CREATE OR REPLACE FUNCTION util.citus_wanted() RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  mode text := coalesce(nullif(current_setting('ecom.distribute', true), ''), 'auto');
  has boolean := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus');
BEGIN
  IF mode = 'on' AND NOT has THEN
    RAISE EXCEPTION 'server.distribute is on, but database % has no citus extension',
      current_database()
      USING HINT = 'CREATE EXTENSION citus on every node (docs/scaling.md), or set server.distribute to auto';
  END IF;
  RETURN has AND mode <> 'off';
END $$;

-- Whether `tbl` is distributed or a reference table; false without Citus, and
-- for the "Citus local" tables Citus makes of local tables tied to reference
-- tables by foreign keys.
CREATE OR REPLACE FUNCTION util.is_distributed(tbl regclass) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
  found boolean;
BEGIN
  IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
    RETURN false;
  END IF;
  -- Dynamic: the catalog table does not exist without Citus.
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition
      WHERE logicalrelid = $1 AND (partmethod = ''h'' OR repmodel = ''t''))'
    INTO found USING tbl;
  RETURN found;
END $$;

-- Distributes `tbl` as `how` says: 'reference' (a copy on every node), or the
-- name of its transaction id column (hash-distributed, co-located with
-- production.transactions, so joins on that column stay on each shard).
-- Does nothing when production.transactions is not distributed (PGlite,
-- single PostgreSQL, server.distribute off) or `tbl` already is.
CREATE OR REPLACE FUNCTION util.distribute(tbl regclass, how text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT util.is_distributed('production.transactions') OR util.is_distributed(tbl) THEN
    RETURN false;
  END IF;
  IF how = 'reference' THEN
    EXECUTE format('SELECT create_reference_table(%L)', tbl);
  ELSE
    EXECUTE format(
      'SELECT create_distributed_table(%L, %L, colocate_with => %L)',
      tbl, how, 'production.transactions');
  END IF;
  RETURN true;
END $$;

-- ANALYZE for scratch tables (lib/sql_named.ts), except Citus ones: Citus
-- sends it to every shard over connections of their own, which it refuses
-- in a transaction that already touched the coordinator's copy of a
-- reference table; the workers' planners size fresh shards by their pages.
CREATE OR REPLACE FUNCTION util.analyze(tbl regclass) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF util.is_distributed(tbl) THEN
    RETURN false;
  END IF;
  EXECUTE format('ANALYZE %s', tbl);
  RETURN true;
END $$;

-- Empties tables in the caller's transaction: TRUNCATE, except Citus tables,
-- which are deleted from. A TRUNCATE of distributed tables runs over several
-- connections per node, after which Citus refuses a parallel load of the
-- same shards in the transaction once a reference table was written too
-- ("placements that were modified over multiple connections").
CREATE OR REPLACE FUNCTION util.empty(VARIADIC tbls regclass[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  t regclass;
BEGIN
  FOREACH t IN ARRAY tbls LOOP
    IF util.is_distributed(t) THEN
      EXECUTE format('DELETE FROM %s', t);
    ELSE
      EXECUTE format('TRUNCATE %s', t);
    END IF;
  END LOOP;
END $$;

-- Declares id columns COLLATE "C" in databases created before they were:
-- altered in place (indexes and foreign keys are rebuilt, rows are not
-- rewritten). Pairs of table and column; does nothing once they are.
CREATE OR REPLACE FUNCTION util.ids_in_byte_order(VARIADIC pairs text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  i int;
BEGIN
  FOR i IN 1 .. array_length(pairs, 1) / 2 LOOP
    IF (SELECT attcollation FROM pg_attribute
        WHERE attrelid = pairs[2 * i - 1]::regclass AND attname = pairs[2 * i])
        <> 'pg_catalog."C"'::regcollation THEN
      EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE text COLLATE "C"',
        pairs[2 * i - 1], pairs[2 * i]);
    END IF;
  END LOOP;
END $$;
