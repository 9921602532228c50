-- Sales per state, where the customer lived at the time of the sale.
SELECT c.state, count(DISTINCT c.customer_id) AS customers,
  count(DISTINCT f.transaction_id) AS transactions, round(sum(f.line_total), 2) AS revenue,
  round(sum(f.profit), 2) AS profit,
  round(sum(f.line_total) / count(DISTINCT f.transaction_id), 2) AS avg_order_value,
  rank() OVER (ORDER BY sum(f.line_total) DESC) AS revenue_rank
FROM warehouse.fact_sales f
JOIN warehouse.dim_customers c USING (customer_key)
GROUP BY c.state
ORDER BY revenue DESC, c.state
