-- Line items: reads work.items (typed staging), v_products,
-- production.products and k_transactions; writes k_products and v_items
-- (status, reasons, amounts recomputed from their inputs).
-- Part of the transform (stages/transform.ts runs sql/production/*.sql in the
-- order of TRANSFORM_FILES, in one transaction; settings in customers.sql).

-- name: known_products
CREATE TEMP TABLE k_products ON COMMIT DROP AS
SELECT coalesce(v.product_id, p.product_id) AS product_id,
  p.product_id IS NOT NULL AS known, v.product_id IS NOT NULL AS staged
FROM (SELECT DISTINCT product_id FROM v_products) v
FULL JOIN production.products p USING (product_id);

-- name: analyze_parents
ANALYZE k_transactions, k_products;

-- name: validate_items
CREATE TEMP TABLE v_items ON COMMIT DROP AS
SELECT staging_ctid, source_row, source_file, item_id, transaction_id, product_id, quantity,
  unit_price, discount_percentage, stated_line_total,
  -- Derived: an unparseable stated line total is replaced by the formula.
  NOT lt_blank AND NOT lt_ok AS line_total_invalid,
  -- Keep the stated amount when it is within a cent of the formula.
  CASE WHEN stated_line_total IS NOT NULL AND abs(stated_line_total - computed) <= 0.01
    THEN stated_line_total ELSE computed END AS line_total,
  stated_line_total IS NOT NULL AND abs(stated_line_total - computed) > 0.01 AS corrected,
  CASE WHEN cardinality(reasons) = 0 THEN 'accepted' ELSE 'rejected' END AS status, reasons
FROM (
  SELECT c.*,
    -- Most rows are clean: one test instead of building an array per row.
    CASE WHEN item_id <> '' AND NOT txn_blank AND NOT prod_blank AND q_ok AND p_ok
      AND (d_blank OR d_ok) AND quantity > 0 AND unit_price >= 0
      AND discount_percentage BETWEEN 0 AND 100 AND txn_known AND prod_known
      -- Fits numeric(12,2) and numeric(14,2).
      AND unit_price < 1e10 AND abs(computed) < 1e12
    THEN '{}'::text[] ELSE array_remove(ARRAY[
      CASE WHEN item_id = '' THEN 'missing_item_id' END,
      CASE WHEN txn_blank THEN 'missing_transaction_id' END,
      CASE WHEN prod_blank THEN 'missing_product_id' END,
      CASE WHEN q_blank THEN 'missing_quantity' END,
      CASE WHEN p_blank THEN 'missing_unit_price' END,
      CASE WHEN NOT q_blank AND NOT q_ok THEN 'unparseable_quantity' END,
      CASE WHEN NOT p_blank AND NOT p_ok THEN 'unparseable_unit_price' END,
      CASE WHEN NOT d_blank AND NOT d_ok THEN 'unparseable_discount_percentage' END,
      CASE WHEN quantity <= 0 THEN 'non_positive_quantity' END,
      CASE WHEN unit_price < 0 THEN 'negative_unit_price' END,
      CASE WHEN discount_percentage NOT BETWEEN 0 AND 100 THEN 'discount_out_of_range' END,
      -- Parses, but does not fit numeric(12,2) / numeric(14,2) (a stated line
      -- total has at most 11 digits and always fits).
      CASE WHEN abs(unit_price) >= 1e10 OR abs(computed) >= 1e12 THEN 'amount_out_of_range' END,
      CASE WHEN NOT txn_blank AND NOT txn_known THEN
        CASE WHEN txn_staged THEN 'transaction_rejected' ELSE 'orphan_transaction' END
      END,
      CASE WHEN NOT prod_blank AND NOT prod_known THEN
        CASE WHEN prod_staged THEN 'product_rejected' ELSE 'orphan_product' END
      END
    ], NULL) END AS reasons
  FROM (
    -- The formula once per row, for the checks above and the amounts below.
    SELECT t.*, round(quantity * unit_price * (100 - discount_percentage) / 100, 2) AS computed
    FROM (
      SELECT w.staging_ctid, w.source_row, w.source_file, coalesce(w.id, '') AS item_id,
        w.txn AS transaction_id, w.prod AS product_id,
        w.txn_blank, w.prod_blank, w.q_blank, w.p_blank, w.d_blank, w.lt_blank,
        w.q_ok, w.p_ok, w.d_ok, w.lt_ok, w.quantity,
        round(w.unit_price, 2) AS unit_price,
        CASE WHEN w.d_blank THEN 0 ELSE w.discount_percentage END AS discount_percentage,
        round(w.line_total, 2) AS stated_line_total,
        coalesce(kt.known, false) AS txn_known,
        coalesce(kt.staged, false) AS txn_staged,
        coalesce(kp.known, false) AS prod_known,
        coalesce(kp.staged, false) AS prod_staged
      FROM work.items w
      LEFT JOIN k_transactions kt ON kt.transaction_id = w.txn
      LEFT JOIN k_products kp ON kp.product_id = w.prod
      OFFSET 0
    ) t
    OFFSET 0
  ) c
  OFFSET 0
) x;

-- name: analyze_items
ANALYZE v_items;

-- name: dedup_items
WITH dup AS (SELECT id AS item_id FROM work.item_dups),
r AS (
  SELECT v.source_row, v.item_id, v.reasons,
    row_number() OVER (
      PARTITION BY s.item_id, s.transaction_id, s.product_id, s.quantity, s.unit_price,
        s.discount_percentage, s.line_total
      ORDER BY v.source_row) AS rn_exact
  FROM v_items v JOIN dup USING (item_id)
  CROSS JOIN LATERAL (SELECT * FROM staging.transaction_items s
    WHERE s.ctid = v.staging_ctid AND s.source_row = v.source_row OFFSET 0) s
),
w AS (
  SELECT r.*, min(source_row) FILTER (WHERE rn_exact = 1 AND cardinality(reasons) = 0)
    OVER (PARTITION BY item_id) AS winner
  FROM r
)
UPDATE v_items v SET
  status = CASE WHEN w.rn_exact > 1 THEN 'collapsed'
    WHEN cardinality(w.reasons) = 0 AND w.winner = w.source_row THEN 'accepted'
    ELSE 'rejected' END,
  reasons = w.reasons || CASE WHEN w.winner <> w.source_row
    THEN ARRAY['duplicate_conflict'] ELSE '{}'::text[] END
FROM w WHERE v.source_row = w.source_row;
