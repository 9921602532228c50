-- Quality checks over staging.transactions in one pass (see customers.sql),
-- including the checks that need customers (orphans, order before
-- registration) and items (no items, total_amount vs the sum of the items).
-- Values come parsed from work.transactions and work.items (sql/work/typed.sql).
WITH ranked AS MATERIALIZED (
  -- Only the rows of repeated ids are ranked (see transaction_items.sql).
  SELECT s.source_row, s.id,
    row_number() OVER (PARTITION BY s.id ORDER BY s.source_row) AS rn_id,
    row_number() OVER (
      PARTITION BY r.transaction_id, r.customer_id, r.transaction_date, r.transaction_time,
        r.payment_method, r.shipping_address, r.total_amount
      ORDER BY s.source_row) AS rn_exact
  FROM work.transactions s JOIN work.transaction_dups USING (id)
  CROSS JOIN LATERAL (SELECT * FROM staging.transactions r
    WHERE r.ctid = s.staging_ctid AND r.source_row = s.source_row OFFSET 0) r
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
  -- Only repeated ids need the DISTINCT.
  SELECT txn AS transaction_id, sum(line_total) AS total, bool_and(lt_ok) AS all_parse
  FROM (
    SELECT i.txn, i.line_total, i.lt_ok FROM work.items i
    WHERE NOT i.id_blank AND NOT EXISTS (SELECT 1 FROM work.item_dups d WHERE d.id = i.id)
    UNION ALL
    SELECT txn, line_total, lt_ok FROM (
      SELECT DISTINCT i.id, i.txn, i.line_total, i.lt_ok
      FROM work.items i JOIN work.item_dups USING (id)
    ) d
  ) u
  GROUP BY 1
),
flags AS NOT MATERIALIZED (
  SELECT s.id, s.source_row,
    NOT id_blank AS in_id,
    NOT id_blank AND NOT EXISTS (SELECT 1 FROM ranked r WHERE r.source_row = s.source_row AND r.rn_id > 1)
      AS in_distinct,
    NOT date_blank AS in_date, NOT time_blank AS in_time, NOT total_blank AS in_total_given,
    date_ok AS in_date_ok, NOT pay_blank AS in_payment, NOT cust_blank AS in_customer,
    id_blank OR cust_blank OR date_blank AS f_missing,
    id_blank AS m_id, cust_blank AS m_cust, date_blank AS m_date,
    NOT date_blank AND NOT date_ok AS f_date,
    NOT time_blank AND NOT time_ok AS f_time,
    NOT total_blank AND NOT total_ok AS f_number,
    -- Outside the plausible range: $1 latest, $2 earliest (lib/plausible.ts).
    date_ok AND transaction_date NOT BETWEEN $2::date AND $1::date AS f_future,
    NOT pay_blank AND payment_name IS NULL AS f_payment,
    NOT cust_blank AND cust.customer_id IS NULL AND pc.customer_id IS NULL AS f_orphan,
    item.transaction_id IS NULL AS no_items,
    item.transaction_id IS NOT NULL AND item.all_parse AND total_ok AS has_total,
    item.transaction_id IS NOT NULL AND item.all_parse AND total_ok
      AND abs(total_amount - item.total) > 0.01 AS total_off,
    date_ok AND coalesce(cust.reg, pc.registration_date) IS NOT NULL AS has_reg,
    date_ok AND transaction_date < coalesce(cust.reg, pc.registration_date)
      AS before_reg
  FROM work.transactions s
  LEFT JOIN cust ON cust.customer_id = s.cust
  -- A daily increment's orders reference customers loaded on earlier days.
  LEFT JOIN production.customers pc ON cust.customer_id IS NULL AND pc.customer_id = s.cust
  LEFT JOIN item ON item.transaction_id = s.id
  -- Fence: each flag is computed once per row and streamed into the
  -- counts (materialized, the CTE stored millions of rows first; inlined
  -- without a fence, the production probes ran once per reference).
  OFFSET 0
),
h AS (
  SELECT flags.*,
    in_distinct AND no_items AS f_no_items,
    in_distinct AND has_total AS in_total,
    in_distinct AND total_off AS f_total,
    in_distinct AND has_reg AS in_temporal,
    in_distinct AND before_reg AS f_before_reg
  FROM flags
),
dups AS (
  SELECT
    count(*) FILTER (WHERE rn_exact > 1) AS x_exact,
    count(*) FILTER (WHERE rn_id > 1 AND rn_exact = 1) AS x_conflict,
    (array_agg(id ORDER BY source_row) FILTER (WHERE rn_exact > 1))[1:10] AS i_exact,
    (array_agg(source_row::int ORDER BY source_row) FILTER (WHERE rn_exact > 1))[1:10] AS r_exact,
    (array_agg(id ORDER BY source_row) FILTER (WHERE rn_id > 1 AND rn_exact = 1))[1:10]
      AS i_conflict,
    (array_agg(source_row::int ORDER BY source_row)
      FILTER (WHERE rn_id > 1 AND rn_exact = 1))[1:10] AS r_conflict
  FROM ranked WHERE id <> ''
),
agg AS (
  SELECT
    count(*) AS n,
    count(*) FILTER (WHERE in_id) AS n_id,
    count(*) FILTER (WHERE in_distinct) AS n_distinct,
    count(*) FILTER (WHERE in_date) AS n_date,
    count(*) FILTER (WHERE in_time) AS n_time,
    count(*) FILTER (WHERE in_total_given) AS n_total_given,
    count(*) FILTER (WHERE in_date_ok) AS n_date_ok,
    count(*) FILTER (WHERE in_payment) AS n_payment,
    count(*) FILTER (WHERE in_customer) AS n_customer,
    count(*) FILTER (WHERE in_total) AS n_total,
    count(*) FILTER (WHERE in_temporal) AS n_temporal,
    count(*) FILTER (WHERE f_missing) AS x_missing,
    count(*) FILTER (WHERE m_id) AS x_missing_id,
    count(*) FILTER (WHERE m_cust) AS x_missing_customer,
    count(*) FILTER (WHERE m_date) AS x_missing_date,
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
SELECT v.* FROM agg CROSS JOIN dups CROSS JOIN LATERAL (VALUES
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
