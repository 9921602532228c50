-- Customers by lifetime spend band (bands fit the shop's order values; see
-- docs/warehouse.md), with their share of revenue.
WITH banded AS (
  SELECT total_spent, total_transactions,
    CASE WHEN total_spent < 1000 THEN 1 WHEN total_spent < 5000 THEN 2
      WHEN total_spent < 10000 THEN 3 ELSE 4 END AS band
  FROM warehouse.agg_customer_metrics
)
SELECT CASE band WHEN 1 THEN 'Under $1,000' WHEN 2 THEN '$1,000 - $4,999'
    WHEN 3 THEN '$5,000 - $9,999' ELSE '$10,000 and over' END AS spend_segment,
  count(*) AS customers, sum(total_transactions) AS transactions,
  round(sum(total_spent), 2) AS revenue, round(avg(total_spent), 2) AS avg_spent,
  round(100 * sum(total_spent) / sum(sum(total_spent)) OVER (), 2) AS revenue_share_pct
FROM banded
GROUP BY band
ORDER BY band
