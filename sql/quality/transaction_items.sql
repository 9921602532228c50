-- The rows the line-item checks look at (lib/quality_checks.ts declares the
-- checks; checkSql adds the counting). The values come parsed from
-- work.items (sql/work/typed.sql): each is tested once, for this stage and
-- the transform.
WITH ranked AS (
  -- Only the rows of repeated ids are ranked (sql/work/typed.sql).
  SELECT source_row, rn_id, rn_exact FROM work.item_copies
),
txn AS (
  -- On the distribution column: each Citus shard looks at its own rows.
  SELECT DISTINCT transaction_id FROM work.transactions WHERE NOT id_blank
),
prod AS (SELECT DISTINCT btrim(product_id) AS id FROM staging.products),
rows AS (
  SELECT s.*, r.rn_id, r.rn_exact,
    -- References may point at rows loaded by earlier runs (daily increments).
    CASE WHEN s.txn_blank THEN false
      ELSE txn.transaction_id IS NOT NULL OR pt.transaction_id IS NOT NULL
    END AS txn_known,
    CASE WHEN s.prod_blank THEN false
      ELSE prod.id IS NOT NULL OR pp.product_id IS NOT NULL
    END AS prod_known
  FROM work.items s
  LEFT JOIN ranked r ON r.source_row = s.source_row
  LEFT JOIN txn ON txn.transaction_id = s.transaction_id
  LEFT JOIN production.transactions pt
    ON txn.transaction_id IS NULL AND pt.transaction_id = s.transaction_id
  LEFT JOIN prod ON prod.id = s.prod
  LEFT JOIN production.products pp ON prod.id IS NULL AND pp.product_id = s.prod
)
