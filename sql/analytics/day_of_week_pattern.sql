-- Orders and revenue per weekday, and per calendar day of that weekday with sales.
SELECT extract(isodow FROM d.full_date)::int AS iso_day, d.day_name,
  count(DISTINCT f.transaction_id) AS transactions, round(sum(f.line_total), 2) AS revenue,
  count(DISTINCT d.date_key) AS days_with_sales,
  round(sum(f.line_total) / count(DISTINCT d.date_key), 2) AS avg_revenue_per_day,
  round(count(DISTINCT f.transaction_id)::numeric / count(DISTINCT d.date_key), 2)
    AS avg_transactions_per_day
FROM warehouse.fact_sales f
JOIN warehouse.dim_date d USING (date_key)
GROUP BY 1, 2
ORDER BY 1
