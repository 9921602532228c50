-- Quality checks over staging.transactions in one pass (see customers.sql),
-- including the checks that need customers (orphans, order before
-- registration) and items (no items, total_amount vs the sum of the items).
WITH t AS (
  SELECT s.*, btrim(s.transaction_id) AS id,
    row_number() OVER (PARTITION BY btrim(s.transaction_id) ORDER BY s.source_row) AS rn_id,
    row_number() OVER (
      PARTITION BY s.transaction_id, s.customer_id, s.transaction_date, s.transaction_time,
        s.payment_method, s.shipping_address, s.total_amount
      ORDER BY s.source_row) AS rn_exact
  FROM staging.transactions s
),
cust AS (
  -- First row of each customer id.
  SELECT DISTINCT ON (btrim(customer_id)) btrim(customer_id) AS customer_id, registration_date
  FROM staging.customers
  WHERE NOT util.blank(customer_id)
  ORDER BY btrim(customer_id), source_row
),
item AS (
  -- Items deduplicated by id (first row), summed per transaction; a
  -- transaction's sum is known only if every line total parses.
  SELECT btrim(transaction_id) AS transaction_id,
    sum(CASE WHEN util.is_num(line_total) THEN btrim(line_total)::numeric END) AS total,
    bool_and(util.is_num(line_total)) AS all_parse
  FROM (
    SELECT DISTINCT ON (btrim(item_id)) item_id, transaction_id, line_total
    FROM staging.transaction_items
    WHERE NOT util.blank(item_id)
    ORDER BY btrim(item_id), source_row
  ) d
  GROUP BY 1
),
f AS (
  SELECT t.*, cust.registration_date AS reg, item.total AS items_total,
    item.transaction_id IS NOT NULL AS has_items, item.all_parse,
    cust.customer_id IS NOT NULL AS customer_exists,
    util.blank(t.transaction_id) OR util.blank(t.customer_id) OR util.blank(transaction_date) AS f_missing,
    NOT util.blank(t.transaction_id) AND rn_exact > 1 AS f_exact,
    NOT util.blank(t.transaction_id) AND rn_id > 1 AND rn_exact = 1 AS f_conflict,
    NOT util.blank(transaction_date) AND NOT util.is_date(transaction_date) AS f_date,
    NOT util.blank(transaction_time) AND NOT util.is_time(transaction_time) AS f_time,
    NOT util.blank(total_amount) AND NOT util.is_num(total_amount) AS f_number,
    util.is_date(transaction_date) AND btrim(transaction_date)::date > current_date AS f_future,
    NOT util.blank(payment_method) AND NOT EXISTS (
      SELECT 1 FROM util.payment_methods m WHERE m.key = util.payment_key(t.payment_method)
    ) AS f_payment
  FROM t
  LEFT JOIN cust ON cust.customer_id = btrim(t.customer_id)
  LEFT JOIN item ON item.transaction_id = t.id
),
g AS (
  SELECT f.*,
    NOT util.blank(customer_id) AND NOT customer_exists AS f_orphan,
    rn_id = 1 AND NOT util.blank(transaction_id) AND NOT has_items AS f_no_items,
    rn_id = 1 AND has_items AND all_parse AND util.is_num(total_amount) AS in_total,
    rn_id = 1 AND util.is_date(transaction_date) AND util.is_date(reg) AS in_temporal
  FROM f
),
h AS (
  SELECT g.*,
    in_total AND abs(btrim(total_amount)::numeric - items_total) > 0.01 AS f_total,
    in_temporal AND btrim(transaction_date)::date < btrim(reg)::date AS f_before_reg
  FROM g
),
agg AS (
  SELECT
    count(*) AS n,
    count(*) FILTER (WHERE NOT util.blank(transaction_id)) AS n_id,
    count(*) FILTER (WHERE rn_id = 1 AND NOT util.blank(transaction_id)) AS n_distinct,
    count(*) FILTER (WHERE NOT util.blank(transaction_date)) AS n_date,
    count(*) FILTER (WHERE NOT util.blank(transaction_time)) AS n_time,
    count(*) FILTER (WHERE NOT util.blank(total_amount)) AS n_total_given,
    count(*) FILTER (WHERE util.is_date(transaction_date)) AS n_date_ok,
    count(*) FILTER (WHERE NOT util.blank(payment_method)) AS n_payment,
    count(*) FILTER (WHERE NOT util.blank(customer_id)) AS n_customer,
    count(*) FILTER (WHERE in_total) AS n_total,
    count(*) FILTER (WHERE in_temporal) AS n_temporal,
    count(*) FILTER (WHERE f_missing) AS x_missing,
    count(*) FILTER (WHERE util.blank(transaction_id)) AS x_missing_id,
    count(*) FILTER (WHERE util.blank(customer_id)) AS x_missing_customer,
    count(*) FILTER (WHERE util.blank(transaction_date)) AS x_missing_date,
    count(*) FILTER (WHERE f_exact) AS x_exact,
    count(*) FILTER (WHERE f_conflict) AS x_conflict,
    count(*) FILTER (WHERE f_date) AS x_date,
    count(*) FILTER (WHERE f_time) AS x_time,
    count(*) FILTER (WHERE f_number) AS x_number,
    count(*) FILTER (WHERE f_future) AS x_future,
    count(*) FILTER (WHERE f_payment) AS x_payment,
    count(*) FILTER (WHERE f_orphan) AS x_orphan,
    count(*) FILTER (WHERE f_no_items) AS x_no_items,
    count(*) FILTER (WHERE f_total) AS x_total,
    count(*) FILTER (WHERE f_before_reg) AS x_before_reg,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_missing))[1:10] AS i_missing,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_missing))[1:10] AS r_missing,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_exact))[1:10] AS i_exact,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_exact))[1:10] AS r_exact,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_conflict))[1:10] AS i_conflict,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_conflict))[1:10] AS r_conflict,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_date))[1:10] AS i_date,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_date))[1:10] AS r_date,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_time))[1:10] AS i_time,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_time))[1:10] AS r_time,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_number))[1:10] AS i_number,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_number))[1:10] AS r_number,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_future))[1:10] AS i_future,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_future))[1:10] AS r_future,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_payment))[1:10] AS i_payment,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_payment))[1:10] AS r_payment,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_orphan))[1:10] AS i_orphan,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_orphan))[1:10] AS r_orphan,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_no_items))[1:10] AS i_no_items,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_no_items))[1:10] AS r_no_items,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_total))[1:10] AS i_total,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_total))[1:10] AS r_total,
    (array_agg(id ORDER BY source_row) FILTER (WHERE f_before_reg))[1:10] AS i_before_reg,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE f_before_reg))[1:10] AS r_before_reg
  FROM h
)
SELECT v.* FROM agg CROSS JOIN LATERAL (VALUES
  ('transactions.missing_mandatory', n, x_missing, i_missing, r_missing,
    jsonb_build_object('transaction_id', x_missing_id, 'customer_id', x_missing_customer,
      'transaction_date', x_missing_date)),
  ('transactions.exact_duplicate', n_id, x_exact, i_exact, r_exact, NULL::jsonb),
  ('transactions.conflicting_duplicate', n_id, x_conflict, i_conflict, r_conflict, NULL),
  ('transactions.unparseable_date', n_date, x_date, i_date, r_date, NULL),
  ('transactions.unparseable_time', n_time, x_time, i_time, r_time, NULL),
  ('transactions.unparseable_number', n_total_given, x_number, i_number, r_number, NULL),
  ('transactions.future_date', n_date_ok, x_future, i_future, r_future, NULL),
  ('transactions.unknown_payment_method', n_payment, x_payment, i_payment, r_payment, NULL),
  ('transactions.orphan_customer', n_customer, x_orphan, i_orphan, r_orphan, NULL),
  ('transactions.without_items', n_distinct, x_no_items, i_no_items, r_no_items, NULL),
  ('transactions.total_mismatch', n_total, x_total, i_total, r_total, NULL),
  ('transactions.before_registration', n_temporal, x_before_reg, i_before_reg, r_before_reg, NULL)
) AS v (check_name, checked, failed, sample_ids, sample_rows, detail)
