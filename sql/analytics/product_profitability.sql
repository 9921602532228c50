-- Profit and margin per product, most profitable first.
SELECT a.product_id, p.product_name, p.category, p.sub_category, p.price_range,
  a.total_quantity_sold, round(a.total_revenue, 2) AS revenue, round(a.total_profit, 2) AS profit,
  round(100 * a.total_profit / nullif(a.total_revenue, 0), 2) AS margin_pct,
  rank() OVER (ORDER BY a.total_profit DESC NULLS LAST) AS profit_rank
FROM warehouse.agg_product_performance a
JOIN warehouse.dim_products p USING (product_key)
ORDER BY a.total_profit DESC NULLS LAST, a.product_id
