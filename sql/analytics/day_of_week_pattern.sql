-- Orders and revenue per weekday, and per calendar day of that weekday with sales.
SELECT extract(isodow FROM d.full_date)::int AS iso_day, d.day_name,
  count(*) AS transactions, round(sum(o.revenue), 2) AS revenue,
  count(DISTINCT d.date_key) AS days_with_sales,
  round(sum(o.revenue) / count(DISTINCT d.date_key), 2) AS avg_revenue_per_day,
  round(count(*)::numeric / count(DISTINCT d.date_key), 2) AS avg_transactions_per_day
FROM warehouse.fact_orders o
JOIN warehouse.dim_date d USING (date_key)
GROUP BY 1, 2
ORDER BY 1
