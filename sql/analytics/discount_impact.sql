-- How discounts relate to volume, revenue and margin.
WITH banded AS (
  SELECT f.*, CASE WHEN discount_percentage = 0 THEN 0 WHEN discount_percentage <= 10 THEN 1
    WHEN discount_percentage <= 20 THEN 2 WHEN discount_percentage <= 30 THEN 3 ELSE 4 END AS band
  FROM warehouse.fact_sales f
)
SELECT CASE band WHEN 0 THEN 'No discount' WHEN 1 THEN '1-10%' WHEN 2 THEN '11-20%'
    WHEN 3 THEN '21-30%' ELSE 'Over 30%' END AS discount_band,
  count(*) AS line_items, sum(quantity) AS units,
  round(avg(quantity), 2) AS avg_units_per_line,
  round(sum(line_total), 2) AS revenue, round(sum(discount_amount), 2) AS discount_given,
  round(sum(profit), 2) AS profit,
  round(100 * sum(profit) / nullif(sum(line_total), 0), 2) AS margin_pct
FROM banded
GROUP BY band
ORDER BY band
