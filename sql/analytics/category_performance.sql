-- Revenue, profit and margin per category (category of the product version sold).
-- Read from agg_category_daily (sql/warehouse/aggregates.sql): the days'
-- figures add up to the same sums and order counts as over fact_sales.
SELECT category, sum(transactions) AS transactions, sum(units) AS units,
  round(sum(revenue), 2) AS revenue, round(sum(profit), 2) AS profit,
  round(100 * sum(profit) / nullif(sum(revenue), 0), 2) AS margin_pct,
  round(100 * sum(revenue) / sum(sum(revenue)) OVER (), 2) AS revenue_share_pct
FROM warehouse.agg_category_daily
GROUP BY category
ORDER BY revenue DESC
