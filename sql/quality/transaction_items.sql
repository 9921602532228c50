-- The rows the line-item checks look at (lib/quality_checks.ts declares the
-- checks; checkSql adds the counting). The values come parsed from
-- work.items (sql/work/typed.sql): each is tested once, for this stage and
-- the transform.
WITH ranked AS MATERIALIZED (
  -- Only the rows of repeated ids are ranked; exact copies compare the raw
  -- values, so those rows are looked up in staging.
  SELECT s.source_row, s.id,
    row_number() OVER (PARTITION BY s.id ORDER BY s.source_row) AS rn_id,
    row_number() OVER (
      PARTITION BY r.item_id, r.transaction_id, r.product_id, r.quantity, r.unit_price,
        r.discount_percentage, r.line_total
      ORDER BY s.source_row) AS rn_exact
  FROM work.items s JOIN work.item_dups USING (id)
  -- Looked up by address (see sql/work/typed.sql): a few probes, not a scan.
  CROSS JOIN LATERAL (SELECT * FROM staging.transaction_items r
    WHERE r.ctid = s.staging_ctid AND r.source_row = s.source_row OFFSET 0) r
),
txn AS (SELECT DISTINCT id FROM work.transactions),
prod AS (SELECT DISTINCT btrim(product_id) AS id FROM staging.products),
rows AS (
  SELECT s.*, r.rn_id, r.rn_exact,
    -- References may point at rows loaded by earlier runs (daily increments);
    -- the production probe runs only for the few rows not found in staging.
    CASE WHEN s.txn_blank THEN false WHEN txn.id IS NOT NULL THEN true
      ELSE EXISTS (SELECT 1 FROM production.transactions pt WHERE pt.transaction_id = s.txn)
    END AS txn_known,
    CASE WHEN s.prod_blank THEN false WHEN prod.id IS NOT NULL THEN true
      ELSE EXISTS (SELECT 1 FROM production.products pp WHERE pp.product_id = s.prod)
    END AS prod_known
  FROM work.items s
  LEFT JOIN ranked r ON r.source_row = s.source_row
  LEFT JOIN txn ON txn.id = s.txn
  LEFT JOIN prod ON prod.id = s.prod
)
