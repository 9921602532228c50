-- Top 10 products by revenue (current name and category), with units and profit.
-- Read from agg_product_performance, which the warehouse keeps per product
-- across all its versions (sql/warehouse/aggregates.sql): the same sums as
-- over fact_sales, without reading every line item again.
SELECT a.product_id, cur.product_name, cur.category, a.total_quantity_sold AS units_sold,
  round(a.total_revenue, 2) AS revenue, round(a.total_profit, 2) AS profit,
  round(100 * a.total_revenue / sum(a.total_revenue) OVER (), 2) AS revenue_share_pct
FROM warehouse.agg_product_performance a
JOIN warehouse.dim_products cur USING (product_key)
ORDER BY revenue DESC, a.product_id
LIMIT 10
