-- The rows the transaction checks look at (see customers.sql), with what the
-- checks that need customers (orphans, order before registration) and items
-- (no items, total_amount vs the sum of the items) compare against.
-- Values come parsed from work.transactions and work.items (sql/work/typed.sql).
WITH ranked AS (
  -- Only the rows of repeated ids are ranked (sql/work/typed.sql).
  SELECT source_row, rn_id, rn_exact FROM work.transaction_copies
),
cust AS (
  -- First row of each customer id.
  SELECT DISTINCT ON (btrim(customer_id)) btrim(customer_id) AS customer_id,
    CASE WHEN util.is_date(registration_date) THEN btrim(registration_date)::date END AS reg
  FROM staging.customers
  WHERE NOT util.blank(customer_id)
  ORDER BY btrim(customer_id), source_row
),
item AS (
  -- Items deduplicated (identical id and amount count once), summed per
  -- transaction; a transaction's sum is known only if every line total parses.
  -- Only repeated ids need the DISTINCT. Grouped by the distribution column
  -- (transaction_id), so on Citus each shard sums its own orders.
  SELECT transaction_id, sum(line_total) AS total, bool_and(lt_ok) AS all_parse
  FROM (
    SELECT i.transaction_id, i.line_total, i.lt_ok FROM work.items i
    WHERE NOT i.id_blank AND i.txn IS NOT NULL
      AND i.source_row NOT IN (SELECT source_row FROM work.item_copies)
    UNION ALL
    SELECT transaction_id, line_total, lt_ok FROM (
      SELECT DISTINCT i.transaction_id, i.id, i.line_total, i.lt_ok
      FROM work.items i
      WHERE i.txn IS NOT NULL AND i.source_row IN (SELECT source_row FROM work.item_copies)
    ) d
  ) u
  GROUP BY 1
),
rows AS (
  SELECT s.*, r.rn_id, r.rn_exact,
    NOT s.id_blank AND coalesce(r.rn_id, 1) = 1 AS distinct_id,
    cust.customer_id IS NOT NULL OR pc.customer_id IS NOT NULL AS customer_known,
    coalesce(cust.reg, pc.registration_date) AS registered,
    item.transaction_id IS NOT NULL AS has_items,
    item.total AS item_total,
    coalesce(item.all_parse, false) AS items_parse
  FROM work.transactions s
  LEFT JOIN ranked r ON r.source_row = s.source_row
  LEFT JOIN cust ON cust.customer_id = s.cust
  -- A daily increment's orders reference customers loaded on earlier days.
  LEFT JOIN production.customers pc ON cust.customer_id IS NULL AND pc.customer_id = s.cust
  LEFT JOIN item ON s.id IS NOT NULL AND item.transaction_id = s.transaction_id
)
