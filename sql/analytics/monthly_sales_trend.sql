-- Revenue, profit and orders per month, with month-over-month growth.
WITH m AS (
  SELECT d.year, d.month, count(*) AS transactions,
    count(DISTINCT c.customer_id) AS unique_customers,
    sum(o.revenue) AS revenue, sum(o.profit) AS profit
  FROM warehouse.fact_orders o
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
