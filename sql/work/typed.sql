-- Typed staging: every value of the two big staging tables parsed once, for
-- both the quality checks and the transform (lib/typed_staging.ts). Parsing
-- text with regular expressions is the dominant cost at millions of rows;
-- before this layer each value was parsed by both stages.
--
-- Derived data only, rebuilt from staging whenever staging changed (keyed by
-- its loaded_at and row count in work.builds), so the tables are UNLOGGED:
-- no write-ahead log, and after a crash they are simply rebuilt.
--
-- Each build is a SELECT that lib/typed_staging.ts runs twice: as
-- CREATE ... WITH NO DATA for the table's shape, then as INSERT ... SELECT
-- over ranges of staging's blocks; it replaces `true /* block range */` with
-- the range. On a server the ranges are filled on connections of their own at
-- once, so both cores parse (PostgreSQL would not parallelise the SELECT by
-- itself: the OFFSET 0 fences below keep it serial).
--
-- Columns: the staging row's ctid (its physical address: the few rows looked
-- up again in staging, duplicates and rejects, are fetched by address instead
-- of scanning millions of rows; a build is current only while staging keeps
-- its relfilenode, so the addresses stay valid), the trimmed ids in byte
-- order (COLLATE "C", like the production ids; NULL when the raw value is NULL), one *_blank
-- flag per value (NULL, empty or whitespace), one *_ok flag per typed value
-- (parses as the contract's type), and the typed value itself (NULL unless
-- it parses; amounts unrounded: each consumer rounds as its rule says).

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

-- name: builds_filenode
-- Registers built before ctids were kept have none: they never match.
ALTER TABLE work.builds ADD COLUMN IF NOT EXISTS staging_filenode oid;

-- name: drop_items
DROP TABLE IF EXISTS work.items, work.item_dups;

-- name: items
SELECT staging_ctid, source_row, source_file, id, txn, prod, id_blank, txn_blank, prod_blank,
  q_blank, p_blank, d_blank, lt_blank, q_ok, p_ok, d_ok, lt_ok,
  CASE WHEN q_ok THEN btrim(raw_q)::int END AS quantity,
  CASE WHEN p_ok THEN btrim(raw_p)::numeric END AS unit_price,
  CASE WHEN d_ok THEN btrim(raw_d)::numeric END AS discount_percentage,
  CASE WHEN lt_ok THEN btrim(raw_lt)::numeric END AS line_total
FROM (
  SELECT staging_ctid, source_row, source_file, id, txn, prod, id_blank, txn_blank,
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
    SELECT ctid AS staging_ctid, source_row, source_file, btrim(item_id) COLLATE "C" AS id,
      btrim(transaction_id) COLLATE "C" AS txn, btrim(product_id) COLLATE "C" AS prod,
      quantity AS raw_q, unit_price AS raw_p, discount_percentage AS raw_d,
      line_total AS raw_lt,
      util.blank(item_id) AS id_blank,
      util.blank(transaction_id) AS txn_blank,
      util.blank(product_id) AS prod_blank,
      coalesce(util.items_canonical(quantity, unit_price, discount_percentage, line_total),
        false) AS fast
    FROM staging.transaction_items
    WHERE true /* block range */
    -- Fences: each level's expressions are evaluated once per row, not once
    -- per reference.
    OFFSET 0
  ) f0
  OFFSET 0
) f

-- name: item_dups
-- Ids that occur more than once: only their rows need ranking, by quality
-- (duplicate checks) and transform (winner and collapsed copies).
-- The ids' 8-byte hashes are sorted and grouped first (the ORDER BY steers
-- the planner to a sort): at millions of rows that is about twice as fast
-- here as grouping the text ids, whose hash table does not fit the CPU's
-- caches. Repeated hashes only name candidates; their few rows are then
-- grouped by the id itself, so a hash collision cannot invent a duplicate.
CREATE UNLOGGED TABLE work.item_dups AS
SELECT id FROM work.items
WHERE NOT id_blank AND hashtextextended(id, 0) IN (
  SELECT h FROM (
    SELECT hashtextextended(id, 0) AS h FROM work.items WHERE NOT id_blank ORDER BY 1 OFFSET 0
  ) s
  GROUP BY h HAVING count(*) > 1)
GROUP BY id HAVING count(*) > 1;

-- name: analyze_items
ANALYZE work.items, work.item_dups;

-- name: drop_transactions
DROP TABLE IF EXISTS work.transactions, work.transaction_dups;

-- name: transactions
SELECT f.staging_ctid, f.source_row, f.source_file, f.id, f.cust, f.id_blank, f.cust_blank, f.date_blank,
  f.time_blank, f.total_blank, f.pay_blank, f.date_ok, f.time_ok, f.total_ok,
  CASE WHEN f.date_ok THEN btrim(f.raw_date)::date END AS transaction_date,
  CASE WHEN f.time_ok THEN btrim(f.raw_time)::time END AS transaction_time,
  CASE WHEN f.total_ok THEN btrim(f.raw_total)::numeric END AS total_amount,
  -- The canonical name of a known spelling; NULL for an unknown one.
  m.name AS payment_name,
  nullif(btrim(f.raw_payment), '') AS payment_raw,
  nullif(btrim(f.raw_address), '') AS shipping_address
FROM (
  SELECT ctid AS staging_ctid, source_row, source_file, btrim(transaction_id) COLLATE "C" AS id,
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
  WHERE true /* block range */
  OFFSET 0
) f
LEFT JOIN util.payment_methods m ON m.key = f.pay_key

-- name: transaction_dups
-- As item_dups.
CREATE UNLOGGED TABLE work.transaction_dups AS
SELECT id FROM work.transactions
WHERE NOT id_blank AND hashtextextended(id, 0) IN (
  SELECT h FROM (
    SELECT hashtextextended(id, 0) AS h FROM work.transactions WHERE NOT id_blank
    ORDER BY 1 OFFSET 0
  ) s
  GROUP BY h HAVING count(*) > 1)
GROUP BY id HAVING count(*) > 1;

-- name: analyze_transactions
ANALYZE work.transactions, work.transaction_dups;
