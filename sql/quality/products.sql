-- The rows the product checks look at (see customers.sql): every staging row
-- with its id and its ranks among rows of the same id and exact copies.
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
rows AS (SELECT * FROM p)
