-- Orders and revenue per payment method.
SELECT pm.payment_method_name AS payment_method, pm.payment_type,
  count(DISTINCT f.transaction_id) AS transactions, round(sum(f.line_total), 2) AS revenue,
  round(100.0 * count(DISTINCT f.transaction_id)
    / sum(count(DISTINCT f.transaction_id)) OVER (), 2) AS transaction_share_pct,
  round(100 * sum(f.line_total) / sum(sum(f.line_total)) OVER (), 2) AS revenue_share_pct
FROM warehouse.fact_sales f
JOIN warehouse.dim_payment_method pm USING (payment_method_key)
GROUP BY pm.payment_method_name, pm.payment_type
ORDER BY revenue DESC
