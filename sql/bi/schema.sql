-- Reporting layer: views with friendly column names over the star schema,
-- for Power BI, the HTML dashboard and anyone with the read-only role. Only
-- this schema is granted to the reporting role; the views run with their
-- owner's rights, so readers need nothing in warehouse. Email addresses are
-- left out: reports do not need them. CREATE OR REPLACE keeps the grants of
-- the reporting role; a release that renames a column must drop the view.
CREATE SCHEMA IF NOT EXISTS bi;

CREATE OR REPLACE VIEW bi.sales AS
SELECT f.sales_key AS "Sales Key", f.date_key AS "Date Key", f.customer_key AS "Customer Key",
  f.product_key AS "Product Key", f.payment_method_key AS "Payment Method Key",
  f.item_id AS "Item ID", f.transaction_id AS "Transaction ID", f.quantity AS "Quantity",
  f.unit_price AS "Unit Price", f.discount_percentage AS "Discount %",
  f.discount_amount AS "Discount Amount", f.line_total AS "Revenue",
  f.unit_cost AS "Unit Cost", f.profit AS "Profit"
FROM warehouse.fact_sales f;

CREATE OR REPLACE VIEW bi.customer AS
SELECT customer_key AS "Customer Key", customer_id AS "Customer ID",
  full_name AS "Customer Name", city AS "City", state AS "State", country AS "Country",
  age_group AS "Age Group", customer_segment AS "Segment",
  registration_date AS "Registration Date", effective_date AS "Valid From",
  end_date AS "Valid To", is_current AS "Is Current"
FROM warehouse.dim_customers;

CREATE OR REPLACE VIEW bi.product AS
SELECT product_key AS "Product Key", product_id AS "Product ID", product_name AS "Product",
  category AS "Category", sub_category AS "Sub-Category", brand AS "Brand",
  price_range AS "Price Range", price AS "List Price", cost AS "Cost",
  effective_date AS "Valid From", end_date AS "Valid To", is_current AS "Is Current"
FROM warehouse.dim_products;

CREATE OR REPLACE VIEW bi.calendar AS
SELECT date_key AS "Date Key", full_date AS "Date", year AS "Year", quarter AS "Quarter",
  'Q' || quarter AS "Quarter Name", month AS "Month Number", month_name AS "Month",
  day AS "Day", extract(isodow FROM full_date)::int AS "Weekday Number",
  day_name AS "Weekday", week_of_year AS "Week", is_weekend AS "Is Weekend",
  is_holiday AS "Is Holiday", holiday_name AS "Holiday"
FROM warehouse.dim_date;

CREATE OR REPLACE VIEW bi.payment_method AS
SELECT payment_method_key AS "Payment Method Key", payment_method_name AS "Payment Method",
  payment_type AS "Payment Type"
FROM warehouse.dim_payment_method;

CREATE OR REPLACE VIEW bi.daily_sales AS
SELECT date_key AS "Date Key", total_transactions AS "Transactions",
  total_revenue AS "Revenue", total_profit AS "Profit",
  unique_customers AS "Unique Customers", total_quantity AS "Units"
FROM warehouse.agg_daily_sales;

CREATE OR REPLACE VIEW bi.customer_metrics AS
SELECT customer_key AS "Customer Key", customer_id AS "Customer ID",
  total_transactions AS "Transactions", total_spent AS "Total Spent",
  avg_order_value AS "Average Order Value", first_purchase_date AS "First Purchase",
  last_purchase_date AS "Last Purchase"
FROM warehouse.agg_customer_metrics;

CREATE OR REPLACE VIEW bi.product_performance AS
SELECT product_key AS "Product Key", product_id AS "Product ID",
  total_quantity_sold AS "Units Sold", total_revenue AS "Revenue", total_profit AS "Profit",
  avg_discount_percentage AS "Average Discount %"
FROM warehouse.agg_product_performance;
