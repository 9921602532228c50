-- Orders and revenue per payment method.
SELECT pm.payment_method_name AS payment_method, pm.payment_type,
  count(*) AS transactions, round(sum(o.revenue), 2) AS revenue,
  round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS transaction_share_pct,
  round(100 * sum(o.revenue) / sum(sum(o.revenue)) OVER (), 2) AS revenue_share_pct
FROM warehouse.fact_orders o
JOIN warehouse.dim_payment_method pm USING (payment_method_key)
GROUP BY pm.payment_method_name, pm.payment_type
ORDER BY revenue DESC
