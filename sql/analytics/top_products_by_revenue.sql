-- Top 10 products by revenue (current name and category), with units and profit.
SELECT cur.product_id, cur.product_name, cur.category, sum(f.quantity) AS units_sold,
  round(sum(f.line_total), 2) AS revenue, round(sum(f.profit), 2) AS profit,
  round(100 * sum(f.line_total) / sum(sum(f.line_total)) OVER (), 2) AS revenue_share_pct
FROM warehouse.fact_sales f
JOIN warehouse.dim_products p USING (product_key)
JOIN warehouse.dim_products cur ON cur.product_id = p.product_id AND cur.is_current
GROUP BY cur.product_id, cur.product_name, cur.category
ORDER BY revenue DESC, cur.product_id
LIMIT 10
