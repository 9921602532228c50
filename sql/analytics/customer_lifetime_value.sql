-- Lifetime value per customer who bought, best first.
SELECT m.customer_id, c.full_name, c.customer_segment, c.state,
  m.total_transactions, round(m.total_spent, 2) AS total_spent,
  round(m.avg_order_value, 2) AS avg_order_value, m.first_purchase_date,
  m.last_purchase_date, m.last_purchase_date - m.first_purchase_date AS customer_lifespan_days,
  rank() OVER (ORDER BY m.total_spent DESC) AS value_rank
FROM warehouse.agg_customer_metrics m
JOIN warehouse.dim_customers c USING (customer_key)
ORDER BY m.total_spent DESC, m.customer_id
