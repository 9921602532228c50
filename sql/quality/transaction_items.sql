-- Quality checks over staging.transaction_items in one pass (see customers.sql).
WITH i AS MATERIALIZED (
  -- Each value is tested once: regular expressions dominate the cost at scale.
  SELECT x.*,
    q_ok AND btrim(quantity)::int <= 0 AS f_quantity,
    p_ok AND btrim(unit_price)::numeric < 0 AS f_price,
    d_ok AND btrim(discount_percentage)::numeric NOT BETWEEN 0 AND 100 AS f_discount,
    q_ok AND p_ok AND lt_ok AND (d_blank OR d_ok)
      AND abs(btrim(line_total)::numeric - btrim(quantity)::int * btrim(unit_price)::numeric
        * (100 - CASE WHEN d_ok THEN btrim(discount_percentage)::numeric ELSE 0 END) / 100)
        > 0.01 AS f_line
  FROM (
    SELECT s.*, btrim(s.item_id) AS id,
      row_number() OVER (PARTITION BY btrim(s.item_id) ORDER BY s.source_row) AS rn_id,
      row_number() OVER (
        PARTITION BY s.item_id, s.transaction_id, s.product_id, s.quantity, s.unit_price,
          s.discount_percentage, s.line_total
        ORDER BY s.source_row) AS rn_exact,
      util.blank(s.item_id) AS id_blank,
      util.blank(s.transaction_id) AS txn_blank,
      util.blank(s.product_id) AS prod_blank,
      util.blank(s.quantity) AS q_blank,
      util.blank(s.unit_price) AS p_blank,
      util.blank(s.discount_percentage) AS d_blank,
      util.blank(s.line_total) AS lt_blank,
      util.is_int(s.quantity) AS q_ok,
      util.is_num(s.unit_price) AS p_ok,
      util.is_num(s.discount_percentage) AS d_ok,
      util.is_num(s.line_total) AS lt_ok
    FROM staging.transaction_items s
  ) x
),
txn AS (SELECT DISTINCT btrim(transaction_id) AS id FROM staging.transactions),
prod AS (SELECT DISTINCT btrim(product_id) AS id FROM staging.products),
g AS (
  SELECT i.*,
    id_blank OR txn_blank OR prod_blank OR q_blank OR p_blank AS f_missing,
    NOT id_blank AND rn_exact > 1 AS f_exact,
    NOT id_blank AND rn_id > 1 AND rn_exact = 1 AS f_conflict,
    (NOT q_blank AND NOT q_ok) OR (NOT p_blank AND NOT p_ok) OR (NOT d_blank AND NOT d_ok)
      OR (NOT lt_blank AND NOT lt_ok) AS f_number,
    NOT txn_blank AND txn.id IS NULL AS f_orphan_txn,
    NOT prod_blank AND prod.id IS NULL AS f_orphan_prod,
    q_ok AND p_ok AND lt_ok AND (d_blank OR d_ok) AS in_line
  FROM i
  LEFT JOIN txn ON txn.id = btrim(i.transaction_id)
  LEFT JOIN prod ON prod.id = btrim(i.product_id)
),
agg AS (
  SELECT
    count(*) AS n,
    count(*) FILTER (WHERE NOT id_blank) AS n_id,
    count(*) FILTER (WHERE NOT (q_blank AND p_blank AND d_blank AND lt_blank)) AS n_numbers,
    count(*) FILTER (WHERE q_ok) AS n_quantity,
    count(*) FILTER (WHERE p_ok) AS n_price,
    count(*) FILTER (WHERE d_ok) AS n_discount,
    count(*) FILTER (WHERE NOT txn_blank) AS n_txn,
    count(*) FILTER (WHERE NOT prod_blank) AS n_prod,
    count(*) FILTER (WHERE in_line) AS n_line,
    count(*) FILTER (WHERE f_missing) AS x_missing,
    count(*) FILTER (WHERE id_blank) AS x_missing_id,
    count(*) FILTER (WHERE txn_blank) AS x_missing_txn,
    count(*) FILTER (WHERE prod_blank) AS x_missing_prod,
    count(*) FILTER (WHERE q_blank) AS x_missing_quantity,
    count(*) FILTER (WHERE p_blank) AS x_missing_price,
    count(*) FILTER (WHERE f_exact) AS x_exact,
    count(*) FILTER (WHERE f_conflict) AS x_conflict,
    count(*) FILTER (WHERE f_number) AS x_number,
    count(*) FILTER (WHERE f_quantity) AS x_quantity,
    count(*) FILTER (WHERE f_price) AS x_price,
    count(*) FILTER (WHERE f_discount) AS x_discount,
    count(*) FILTER (WHERE f_orphan_txn) AS x_orphan_txn,
    count(*) FILTER (WHERE f_orphan_prod) AS x_orphan_prod,
    count(*) FILTER (WHERE f_line) AS x_line,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_missing))[1:10] AS i_missing,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_missing))[1:10] AS r_missing,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_exact))[1:10] AS i_exact,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_exact))[1:10] AS r_exact,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_conflict))[1:10] AS i_conflict,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_conflict))[1:10] AS r_conflict,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_number))[1:10] AS i_number,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_number))[1:10] AS r_number,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_quantity))[1:10] AS i_quantity,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_quantity))[1:10] AS r_quantity,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_price))[1:10] AS i_price,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_price))[1:10] AS r_price,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_discount))[1:10] AS i_discount,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_discount))[1:10] AS r_discount,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_orphan_txn))[1:10] AS i_orphan_txn,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_orphan_txn))[1:10] AS r_orphan_txn,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_orphan_prod))[1:10] AS i_orphan_prod,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_orphan_prod))[1:10] AS r_orphan_prod,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_line))[1:10] AS i_line,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_line))[1:10] AS r_line
  FROM g
)
SELECT v.* FROM agg CROSS JOIN LATERAL (VALUES
  ('transaction_items.missing_mandatory', n, x_missing, i_missing, r_missing,
    jsonb_build_object('item_id', x_missing_id, 'transaction_id', x_missing_txn,
      'product_id', x_missing_prod, 'quantity', x_missing_quantity, 'unit_price', x_missing_price)),
  ('transaction_items.exact_duplicate', n_id, x_exact, i_exact, r_exact, NULL::jsonb),
  ('transaction_items.conflicting_duplicate', n_id, x_conflict, i_conflict, r_conflict, NULL),
  ('transaction_items.unparseable_number', n_numbers, x_number, i_number, r_number, NULL),
  ('transaction_items.non_positive_quantity', n_quantity, x_quantity, i_quantity, r_quantity, NULL),
  ('transaction_items.negative_price', n_price, x_price, i_price, r_price, NULL),
  ('transaction_items.discount_out_of_range', n_discount, x_discount, i_discount, r_discount, NULL),
  ('transaction_items.orphan_transaction', n_txn, x_orphan_txn, i_orphan_txn, r_orphan_txn, NULL),
  ('transaction_items.orphan_product', n_prod, x_orphan_prod, i_orphan_prod, r_orphan_prod, NULL),
  ('transaction_items.line_total_mismatch', n_line, x_line, i_line, r_line, NULL)
) AS v (check_name, checked, failed, sample_ids, sample_rows, detail)
