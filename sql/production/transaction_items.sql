-- Line items: reads work.items (typed staging), work.v_products,
-- work.v_transactions and production; writes work.k_products, work.v_items
-- (status, reasons, amounts recomputed from their inputs) and
-- work.moved_items.
-- Part of the transform (stages/transform.ts runs sql/production/*.sql in the
-- order of TRANSFORM_FILES, in one transaction; settings in customers.sql).

-- name: known_products
-- scratch: work.k_products reference
SELECT coalesce(v.product_id, p.product_id) AS product_id,
  p.product_id IS NOT NULL AS known, v.product_id IS NOT NULL AS staged
FROM (SELECT DISTINCT product_id FROM work.v_products) v
FULL JOIN production.products p USING (product_id);

-- name: validate_items
-- scratch: work.v_items by transaction_id
SELECT source_row, source_file, item_id, transaction_id, product_id, quantity,
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
      SELECT w.source_row, w.source_file, coalesce(w.id, '') AS item_id,
        w.transaction_id, w.prod AS product_id,
        w.txn_blank, w.prod_blank, w.q_blank, w.p_blank, w.d_blank, w.lt_blank,
        w.q_ok, w.p_ok, w.d_ok, w.lt_ok, w.quantity,
        round(w.unit_price, 2) AS unit_price,
        CASE WHEN w.d_blank THEN 0 ELSE w.discount_percentage END AS discount_percentage,
        round(w.line_total, 2) AS stated_line_total,
        coalesce(vt.accepted, false) OR pt.transaction_id IS NOT NULL AS txn_known,
        vt.transaction_id IS NOT NULL AS txn_staged,
        coalesce(kp.known, false) AS prod_known,
        coalesce(kp.staged, false) AS prod_staged
      FROM work.items w
      -- The parent: accepted in this load, or in production from an earlier
      -- one, or only staged (and rejected). On the distribution column: each
      -- Citus shard joins its own rows. A blank id ('') may match a blank
      -- staged one; txn_blank decides first.
      LEFT JOIN (SELECT transaction_id, bool_or(status = 'accepted') AS accepted
        FROM work.v_transactions GROUP BY 1) vt ON vt.transaction_id = w.transaction_id
      LEFT JOIN production.transactions pt ON pt.transaction_id = w.transaction_id
      LEFT JOIN work.k_products kp ON kp.product_id = w.prod
    ) t
  ) c
) x;

-- name: dedup_items
-- As dedup_transactions, but an item id may repeat in any transaction: the
-- few rows of repeated ids (work.item_copies) are ranked across shards, then
-- each row is updated on its own shard (joined on transaction_id).
UPDATE work.v_items v SET
  status = CASE WHEN w.rn_exact > 1 THEN 'collapsed'
    WHEN cardinality(w.reasons) = 0 AND w.winner = w.source_row THEN 'accepted'
    ELSE 'rejected' END,
  reasons = w.reasons || CASE WHEN w.winner <> w.source_row
    THEN ARRAY['duplicate_conflict'] ELSE '{}'::text[] END
FROM (
  SELECT v.transaction_id, v.source_row, v.reasons, c.rn_exact,
    min(v.source_row) FILTER (WHERE c.rn_exact = 1 AND cardinality(v.reasons) = 0)
      OVER (PARTITION BY v.item_id) AS winner
  FROM work.v_items v JOIN work.item_copies c USING (source_row)
) w
WHERE v.transaction_id = w.transaction_id AND v.source_row = w.source_row;

-- name: moved_items
-- scratch: work.moved_items by transaction_id
-- Item ids are unique across transactions, but the key is (transaction_id,
-- item_id) so that Citus can keep an order on one shard. An accepted item
-- already in production under another transaction has moved: its old row is
-- deleted (load.sql), never updated (the distribution column stays put), and
-- the move recorded in production.item_moves.
-- The lookup by item_id crosses shards, so it is made small first: only
-- accepted items not already in production under their own transaction
-- (a co-located anti-join), and none while production has no items (a first
-- load: stages/transform.ts writes the guard in as true or false). Those few go to every
-- shard (on Citus, one intermediate result), where each looks for their ids
-- among its own rows.
WITH candidates AS MATERIALIZED (
  SELECT v.item_id, v.transaction_id
  FROM work.v_items v
  WHERE v.status = 'accepted' AND current_setting('ecom.items_loaded') = 'on'
    AND NOT EXISTS (SELECT 1 FROM production.transaction_items p
      WHERE p.transaction_id = v.transaction_id AND p.item_id = v.item_id)
)
SELECT p.transaction_id, p.item_id, c.transaction_id AS to_transaction_id
FROM production.transaction_items p
JOIN candidates c ON c.item_id = p.item_id
WHERE p.transaction_id <> c.transaction_id;
