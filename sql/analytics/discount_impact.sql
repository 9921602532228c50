-- How discounts relate to volume, revenue and margin.
-- Read from agg_discount_daily (sql/warehouse/aggregates.sql), which holds
-- the same sums per day and band as fact_sales.
SELECT CASE discount_band WHEN 0 THEN 'No discount' WHEN 1 THEN '1-10%' WHEN 2 THEN '11-20%'
    WHEN 3 THEN '21-30%' ELSE 'Over 30%' END AS discount_band,
  sum(line_items) AS line_items, sum(units) AS units,
  round(sum(units)::numeric / sum(line_items), 2) AS avg_units_per_line,
  round(sum(revenue), 2) AS revenue, round(sum(discount_given), 2) AS discount_given,
  round(sum(profit), 2) AS profit,
  round(100 * sum(profit) / nullif(sum(revenue), 0), 2) AS margin_pct
FROM warehouse.agg_discount_daily
GROUP BY agg_discount_daily.discount_band
ORDER BY agg_discount_daily.discount_band
