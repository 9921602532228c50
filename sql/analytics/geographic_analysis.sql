-- Sales per state, where the customer lived at the time of the sale.
SELECT c.state, count(DISTINCT c.customer_id) AS customers, count(*) AS transactions,
  round(sum(o.revenue), 2) AS revenue, round(sum(o.profit), 2) AS profit,
  round(sum(o.revenue) / count(*), 2) AS avg_order_value,
  rank() OVER (ORDER BY sum(o.revenue) DESC) AS revenue_rank
FROM warehouse.fact_orders o
JOIN warehouse.dim_customers c USING (customer_key)
GROUP BY c.state
ORDER BY revenue DESC, c.state
