-- Revenue, profit and margin per category (category of the product version sold).
SELECT p.category, count(DISTINCT f.transaction_id) AS transactions, sum(f.quantity) AS units,
  round(sum(f.line_total), 2) AS revenue, round(sum(f.profit), 2) AS profit,
  round(100 * sum(f.profit) / nullif(sum(f.line_total), 0), 2) AS margin_pct,
  round(100 * sum(f.line_total) / sum(sum(f.line_total)) OVER (), 2) AS revenue_share_pct
FROM warehouse.fact_sales f
JOIN warehouse.dim_products p USING (product_key)
GROUP BY p.category
ORDER BY revenue DESC
