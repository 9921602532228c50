-- pipeline --rebuild: empties production and the warehouse (run history in
-- ops and the holiday configuration are kept), so the base history and every
-- day can be replayed from scratch. Surrogate keys restart.
TRUNCATE warehouse.agg_daily_sales, warehouse.agg_customer_metrics,
  warehouse.agg_product_performance, warehouse.agg_category_daily,
  warehouse.agg_discount_daily, warehouse.fact_orders, warehouse.fact_sales,
  warehouse.dim_customers, warehouse.dim_products, warehouse.dim_payment_method,
  warehouse.dim_date, warehouse.fact_watermark
  RESTART IDENTITY CASCADE;
TRUNCATE production.item_moves, production.transaction_items, production.transactions, production.products,
  production.customers, production.rejected_records
  RESTART IDENTITY CASCADE;
