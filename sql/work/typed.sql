-- Typed staging: every value of the two big staging tables parsed once, for
-- both the quality checks and the transform (lib/typed_staging.ts). Parsing
-- text with regular expressions is the dominant cost at millions of rows;
-- before this layer each value was parsed by both stages.
--
-- Derived data only, rebuilt from staging whenever staging changed (keyed by
-- its loaded_at and row count in work.builds), so the tables are UNLOGGED:
-- no write-ahead log, and after a crash they are simply rebuilt.
--
-- Each build is a SELECT that lib/typed_staging.ts makes a scratch table of
-- (lib/sql_named.ts: created, distributed on Citus by transaction_id, then
-- filled): it replaces `true /* part */` with `source_row % N = i`, and on a
-- server fills the N parts on connections of their own at once, so both
-- cores parse (PostgreSQL would not parallelise the SELECT by itself: the
-- OFFSET 0 fences below keep it serial). Staging is local on Citus
-- (docs/scaling.md), so these SELECTs read the coordinator's own rows: the
-- fences pull nothing.
--
-- Columns: the staging row's source_row (its key: the few rows looked up
-- again in staging, rejects, join on it), the trimmed ids in byte order
-- (COLLATE "C", like the production ids; NULL when the raw value is NULL),
-- transaction_id (the trimmed transaction id, '' when blank: Citus's
-- distribution column may not be NULL), one *_blank flag per value (NULL,
-- empty or whitespace), one *_ok flag per typed value (parses as the
-- contract's type), and the typed value itself (NULL unless it parses;
-- amounts unrounded: each consumer rounds as its rule says).

-- name: schema
CREATE SCHEMA IF NOT EXISTS work;

-- name: builds
-- Unlogged like the tables it describes: after a crash all are emptied
-- together, and the next run rebuilds.
CREATE UNLOGGED TABLE IF NOT EXISTS work.builds (
  table_name text PRIMARY KEY,
  staging_loaded_at timestamptz,
  staging_rows bigint NOT NULL,
  built_at timestamptz NOT NULL DEFAULT now()
);

-- name: items
SELECT source_row, source_file, coalesce(txn, '') AS transaction_id, id, txn, prod, id_blank, txn_blank, prod_blank,
  q_blank, p_blank, d_blank, lt_blank, q_ok, p_ok, d_ok, lt_ok,
  CASE WHEN q_ok THEN btrim(raw_q)::int END AS quantity,
  CASE WHEN p_ok THEN btrim(raw_p)::numeric END AS unit_price,
  CASE WHEN d_ok THEN btrim(raw_d)::numeric END AS discount_percentage,
  CASE WHEN lt_ok THEN btrim(raw_lt)::numeric END AS line_total
FROM (
  SELECT source_row, source_file, coalesce(txn, '') AS transaction_id, id, txn, prod, id_blank, txn_blank,
    prod_blank, raw_q, raw_p, raw_d, raw_lt,
    -- Canonical rows (plain digits) skip the per-value checks.
    CASE WHEN fast THEN false ELSE util.blank(raw_q) END AS q_blank,
    CASE WHEN fast THEN false ELSE util.blank(raw_p) END AS p_blank,
    CASE WHEN fast THEN false ELSE util.blank(raw_d) END AS d_blank,
    CASE WHEN fast THEN false ELSE util.blank(raw_lt) END AS lt_blank,
    CASE WHEN fast THEN true ELSE util.is_int(raw_q) END AS q_ok,
    CASE WHEN fast THEN true ELSE util.is_num(raw_p) END AS p_ok,
    CASE WHEN fast THEN true ELSE util.is_num(raw_d) END AS d_ok,
    CASE WHEN fast THEN true ELSE util.is_num(raw_lt) END AS lt_ok
  FROM (
    SELECT source_row, source_file, btrim(item_id) COLLATE "C" AS id,
      btrim(transaction_id) COLLATE "C" AS txn, btrim(product_id) COLLATE "C" AS prod,
      quantity AS raw_q, unit_price AS raw_p, discount_percentage AS raw_d,
      line_total AS raw_lt,
      util.blank(item_id) AS id_blank,
      util.blank(transaction_id) AS txn_blank,
      util.blank(product_id) AS prod_blank,
      coalesce(util.items_canonical(quantity, unit_price, discount_percentage, line_total),
        false) AS fast
    FROM staging.transaction_items
    WHERE true /* part */
    -- Fences: each level's expressions are evaluated once per row, not once
    -- per reference.
    OFFSET 0
  ) f0
  OFFSET 0
) f

-- name: item_copies
-- scratch: work.item_copies reference
-- The rows whose item id repeats, ranked: rn_id in file order among the
-- id's rows, rn_exact among the exact copies of a row (the raw values). The
-- quality checks count them; the transform picks winners and collapses
-- copies. Repeated ids occur in any transaction, so they are found here, on
-- the coordinator's staging rows, not across shards; the result is small and
-- a reference table on Citus.
-- The ids' 8-byte hashes are sorted and grouped first (the ORDER BY steers
-- the planner to a sort): at millions of rows that is about twice as fast
-- here as grouping the text ids, whose hash table does not fit the CPU's
-- caches. Repeated hashes only name candidates: the ranks partition by the
-- id itself, so a hash collision cannot invent a duplicate.
WITH repeated AS (
  SELECT h FROM (
    SELECT hashtextextended(btrim(item_id), 0) AS h FROM staging.transaction_items
    WHERE NOT util.blank(item_id) ORDER BY 1 OFFSET 0
  ) s
  GROUP BY h HAVING count(*) > 1
)
SELECT s.source_row, btrim(s.item_id) COLLATE "C" AS id,
  coalesce(btrim(s.transaction_id) COLLATE "C", '') AS transaction_id,
  row_number() OVER (PARTITION BY btrim(s.item_id) COLLATE "C" ORDER BY s.source_row) AS rn_id,
  row_number() OVER (
    PARTITION BY s.item_id COLLATE "C", s.transaction_id COLLATE "C", s.product_id COLLATE "C",
      s.quantity COLLATE "C", s.unit_price COLLATE "C", s.discount_percentage COLLATE "C",
      s.line_total COLLATE "C"
    ORDER BY s.source_row) AS rn_exact
FROM staging.transaction_items s
WHERE NOT util.blank(s.item_id)
  AND hashtextextended(btrim(s.item_id), 0) IN (SELECT h FROM repeated)

-- name: analyze_items
SELECT util.analyze('work.items');

-- name: transactions
SELECT f.source_row, f.source_file, coalesce(f.id, '') AS transaction_id, f.id, f.cust, f.id_blank, f.cust_blank, f.date_blank,
  f.time_blank, f.total_blank, f.pay_blank, f.date_ok, f.time_ok, f.total_ok,
  CASE WHEN f.date_ok THEN btrim(f.raw_date)::date END AS transaction_date,
  CASE WHEN f.time_ok THEN btrim(f.raw_time)::time END AS transaction_time,
  CASE WHEN f.total_ok THEN btrim(f.raw_total)::numeric END AS total_amount,
  -- The canonical name of a known spelling; NULL for an unknown one.
  m.name AS payment_name,
  nullif(btrim(f.raw_payment), '') AS payment_raw,
  nullif(btrim(f.raw_address), '') AS shipping_address
FROM (
  SELECT source_row, source_file, btrim(transaction_id) COLLATE "C" AS id,
    btrim(customer_id) COLLATE "C" AS cust,
    transaction_date AS raw_date, transaction_time AS raw_time, total_amount AS raw_total,
    payment_method AS raw_payment, shipping_address AS raw_address,
    util.blank(transaction_id) AS id_blank,
    util.blank(customer_id) AS cust_blank,
    util.blank(transaction_date) AS date_blank,
    util.blank(transaction_time) AS time_blank,
    util.blank(total_amount) AS total_blank,
    util.blank(payment_method) AS pay_blank,
    util.is_date(transaction_date) AS date_ok,
    util.is_time(transaction_time) AS time_ok,
    util.is_num(total_amount) AS total_ok,
    util.payment_key(payment_method) AS pay_key
  FROM staging.transactions
  WHERE true /* part */
  OFFSET 0
) f
LEFT JOIN util.payment_methods m ON m.key = f.pay_key

-- name: transaction_copies
-- scratch: work.transaction_copies reference
-- As item_copies.
WITH repeated AS (
  SELECT h FROM (
    SELECT hashtextextended(btrim(transaction_id), 0) AS h FROM staging.transactions
    WHERE NOT util.blank(transaction_id) ORDER BY 1 OFFSET 0
  ) s
  GROUP BY h HAVING count(*) > 1
)
SELECT s.source_row, btrim(s.transaction_id) COLLATE "C" AS id,
  btrim(s.transaction_id) COLLATE "C" AS transaction_id,
  row_number() OVER (PARTITION BY btrim(s.transaction_id) COLLATE "C" ORDER BY s.source_row)
    AS rn_id,
  row_number() OVER (
    PARTITION BY s.transaction_id COLLATE "C", s.customer_id COLLATE "C",
      s.transaction_date COLLATE "C", s.transaction_time COLLATE "C",
      s.payment_method COLLATE "C", s.shipping_address COLLATE "C",
      s.total_amount COLLATE "C"
    ORDER BY s.source_row) AS rn_exact
FROM staging.transactions s
WHERE NOT util.blank(s.transaction_id)
  AND hashtextextended(btrim(s.transaction_id), 0) IN (SELECT h FROM repeated)

-- name: analyze_transactions
SELECT util.analyze('work.transactions');
