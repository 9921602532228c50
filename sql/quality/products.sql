-- Quality checks over staging.products in one pass (see customers.sql).
WITH p AS (
  SELECT s.*, btrim(s.product_id) AS id,
    row_number() OVER (PARTITION BY btrim(s.product_id) COLLATE "C" ORDER BY s.source_row) AS rn_id,
    row_number() OVER (
      PARTITION BY s.product_id COLLATE "C", s.product_name COLLATE "C",
        s.category COLLATE "C", s.sub_category COLLATE "C", s.price COLLATE "C",
        s.cost COLLATE "C", s.brand COLLATE "C", s.stock_quantity COLLATE "C",
        s.supplier_id COLLATE "C"
      ORDER BY s.source_row) AS rn_exact
  FROM staging.products s
),
f AS (
  SELECT p.*,
    util.blank(product_id) OR util.blank(price) AS f_missing,
    NOT util.blank(product_id) AND rn_exact > 1 AS f_exact,
    NOT util.blank(product_id) AND rn_id > 1 AND rn_exact = 1 AS f_conflict,
    (NOT util.blank(price) AND NOT util.is_num(price))
      OR (NOT util.blank(cost) AND NOT util.is_num(cost))
      OR (NOT util.blank(stock_quantity) AND NOT util.is_int(stock_quantity)) AS f_number,
    util.is_num(price) AND btrim(price)::numeric <= 0 AS f_price,
    -- Only for positive prices: a negative price is its own finding.
    util.is_num(price) AND util.is_num(cost) AND btrim(price)::numeric > 0
      AND btrim(cost)::numeric > btrim(price)::numeric AS f_cost
  FROM p
),
agg AS (
  SELECT
    count(*) AS n,
    count(*) FILTER (WHERE NOT util.blank(product_id)) AS n_id,
    count(*) FILTER (WHERE NOT (util.blank(price) AND util.blank(cost) AND util.blank(stock_quantity))) AS n_numbers,
    count(*) FILTER (WHERE util.is_num(price)) AS n_price,
    count(*) FILTER (WHERE util.is_num(price) AND util.is_num(cost)
      AND btrim(price)::numeric > 0) AS n_cost,
    count(*) FILTER (WHERE f_missing) AS x_missing,
    count(*) FILTER (WHERE util.blank(product_id)) AS x_missing_id,
    count(*) FILTER (WHERE util.blank(price)) AS x_missing_price,
    count(*) FILTER (WHERE f_exact) AS x_exact,
    count(*) FILTER (WHERE f_conflict) AS x_conflict,
    count(*) FILTER (WHERE f_number) AS x_number,
    count(*) FILTER (WHERE f_price) AS x_price,
    count(*) FILTER (WHERE f_cost) AS x_cost,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_missing))[1:10] AS i_missing,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_missing))[1:10] AS r_missing,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_exact))[1:10] AS i_exact,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_exact))[1:10] AS r_exact,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_conflict))[1:10] AS i_conflict,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_conflict))[1:10] AS r_conflict,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_number))[1:10] AS i_number,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_number))[1:10] AS r_number,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_price))[1:10] AS i_price,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_price))[1:10] AS r_price,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_cost))[1:10] AS i_cost,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_cost))[1:10] AS r_cost
  FROM f
)
SELECT v.* FROM agg CROSS JOIN LATERAL (VALUES
  ('products.missing_mandatory', n, x_missing, i_missing, r_missing,
    jsonb_build_object('product_id', x_missing_id, 'price', x_missing_price)),
  ('products.exact_duplicate', n_id, x_exact, i_exact, r_exact, NULL::jsonb),
  ('products.conflicting_duplicate', n_id, x_conflict, i_conflict, r_conflict, NULL),
  ('products.unparseable_number', n_numbers, x_number, i_number, r_number, NULL),
  ('products.non_positive_price', n_price, x_price, i_price, r_price, NULL),
  ('products.cost_above_price', n_cost, x_cost, i_cost, r_cost, NULL)
) AS v (check_name, checked, failed, sample_ids, sample_rows, detail)
