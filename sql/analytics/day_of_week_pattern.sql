-- Orders and revenue per weekday, and per calendar day of that weekday with sales.
-- Read from agg_daily_sales (one row per day with orders, summed from
-- fact_orders by the warehouse): the same figures as over the orders.
SELECT extract(isodow FROM d.full_date)::int AS iso_day, d.day_name,
  sum(a.total_transactions) AS transactions, round(sum(a.total_revenue), 2) AS revenue,
  count(*) AS days_with_sales,
  round(sum(a.total_revenue) / count(*), 2) AS avg_revenue_per_day,
  round(sum(a.total_transactions)::numeric / count(*), 2) AS avg_transactions_per_day
FROM warehouse.agg_daily_sales a
JOIN warehouse.dim_date d USING (date_key)
GROUP BY 1, 2
ORDER BY 1
