-- Revenue, profit and orders per month, with month-over-month growth.
-- Facts are first summed per transaction (a hash aggregate), which is much
-- cheaper than counting distinct transactions over every line.
WITH t AS (
  SELECT transaction_id, date_key, customer_key, sum(line_total) AS revenue, sum(profit) AS profit
  FROM warehouse.fact_sales
  GROUP BY transaction_id, date_key, customer_key
),
m AS (
  SELECT d.year, d.month, count(*) AS transactions,
    count(DISTINCT c.customer_id) AS unique_customers,
    sum(t.revenue) AS revenue, sum(t.profit) AS profit
  FROM t
  JOIN warehouse.dim_date d USING (date_key)
  JOIN warehouse.dim_customers c USING (customer_key)
  GROUP BY d.year, d.month
)
SELECT to_char(make_date(year, month, 1), 'YYYY-MM') AS month, transactions, unique_customers,
  round(revenue, 2) AS revenue, round(profit, 2) AS profit,
  round(revenue / transactions, 2) AS avg_order_value,
  round(100 * (revenue - lag(revenue) OVER w) / nullif(lag(revenue) OVER w, 0), 2)
    AS revenue_growth_pct
FROM m
WINDOW w AS (ORDER BY year, month)
ORDER BY year, month
