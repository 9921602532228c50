-- Warehouse: a star schema with SCD Type 2 customer and product dimensions.
-- Open-ended versions have end_date 9999-12-31 (not NULL), so a
-- point-in-time join is a plain BETWEEN. Idempotent.
CREATE SCHEMA IF NOT EXISTS warehouse;

-- Fixed-date holidays marked in dim_date, synchronised from the
-- configuration (warehouse.holidays) by every warehouse run.
CREATE TABLE IF NOT EXISTS warehouse.holidays (
  month int NOT NULL CHECK (month BETWEEN 1 AND 12),
  day int NOT NULL CHECK (day BETWEEN 1 AND 31),
  name text NOT NULL,
  PRIMARY KEY (month, day)
);

CREATE TABLE IF NOT EXISTS warehouse.dim_date (
  date_key int PRIMARY KEY,
  full_date date NOT NULL UNIQUE,
  year int NOT NULL,
  quarter int NOT NULL,
  month int NOT NULL,
  day int NOT NULL,
  month_name text NOT NULL,
  day_name text NOT NULL,
  week_of_year int NOT NULL,
  is_weekend boolean NOT NULL,
  is_holiday boolean NOT NULL,
  holiday_name text
);

CREATE TABLE IF NOT EXISTS warehouse.dim_payment_method (
  payment_method_key serial PRIMARY KEY,
  payment_method_name text NOT NULL UNIQUE,
  payment_type text NOT NULL
);

CREATE TABLE IF NOT EXISTS warehouse.dim_customers (
  customer_key bigserial PRIMARY KEY,
  customer_id text NOT NULL,
  full_name text,
  email text,
  city text,
  state text,
  country text,
  age_group text,
  customer_segment text NOT NULL,
  registration_date date,
  effective_date date NOT NULL,
  end_date date NOT NULL DEFAULT '9999-12-31',
  is_current boolean NOT NULL,
  -- The id is no longer in production (kept so old facts stay valid).
  is_deleted boolean NOT NULL DEFAULT false,
  CHECK (end_date >= effective_date),
  UNIQUE (customer_id, effective_date)
);
CREATE UNIQUE INDEX IF NOT EXISTS dim_customers_one_current
  ON warehouse.dim_customers (customer_id) WHERE is_current;

CREATE TABLE IF NOT EXISTS warehouse.dim_products (
  product_key bigserial PRIMARY KEY,
  product_id text NOT NULL,
  product_name text,
  category text,
  sub_category text,
  brand text,
  price numeric(12,2),
  cost numeric(12,2),
  price_range text NOT NULL,
  effective_date date NOT NULL,
  end_date date NOT NULL DEFAULT '9999-12-31',
  is_current boolean NOT NULL,
  is_deleted boolean NOT NULL DEFAULT false,
  CHECK (end_date >= effective_date),
  UNIQUE (product_id, effective_date)
);
CREATE UNIQUE INDEX IF NOT EXISTS dim_products_one_current
  ON warehouse.dim_products (product_id) WHERE is_current;

CREATE TABLE IF NOT EXISTS warehouse.fact_sales (
  -- Unique keys hold the distribution column (transaction_id) on Citus.
  -- The sales key is the item id's 64-bit hash, not a sequence: a sequence's
  -- nextval is volatile, and Citus pulls every row of an INSERT ... SELECT
  -- with a volatile value through the coordinator. The same item keeps the
  -- same key across --rebuild and backends; two items of one order with
  -- equal hashes would fail the primary key, loudly (docs/scaling.md).
  sales_key bigint GENERATED ALWAYS AS (hashtextextended(item_id, 0)) STORED,
  item_id text COLLATE "C" NOT NULL,
  date_key int NOT NULL REFERENCES warehouse.dim_date (date_key),
  customer_key bigint NOT NULL REFERENCES warehouse.dim_customers (customer_key),
  product_key bigint NOT NULL REFERENCES warehouse.dim_products (product_key),
  payment_method_key int NOT NULL REFERENCES warehouse.dim_payment_method (payment_method_key),
  -- Byte order, like production's ids: Citus co-locates only columns of one collation.
  transaction_id text COLLATE "C" NOT NULL,
  quantity int NOT NULL,
  unit_price numeric(12,2) NOT NULL,
  discount_percentage numeric(5,2) NOT NULL,
  discount_amount numeric(14,2) NOT NULL,
  line_total numeric(14,2) NOT NULL,
  unit_cost numeric(12,2),
  profit numeric(14,2),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT fact_sales_pkey PRIMARY KEY (transaction_id, sales_key),
  CONSTRAINT fact_sales_item_key UNIQUE (transaction_id, item_id)
);
-- Databases created before the facts' ids were declared COLLATE "C" (before
-- sales_key below is derived from item_id, which then can no longer change).
DO $$
BEGIN
  IF (SELECT attcollation FROM pg_attribute WHERE attrelid = 'warehouse.fact_sales'::regclass
      AND attname = 'transaction_id') <> 'pg_catalog."C"'::regcollation THEN
    -- bi.sales reads the columns; sql/bi/schema.sql re-creates it.
    DROP VIEW IF EXISTS bi.sales;
  END IF;
END $$;
SELECT util.ids_in_byte_order('warehouse.fact_sales', 'transaction_id',
  'warehouse.fact_sales', 'item_id');

-- Databases created before Citus: a sequence's sales key, keyed by it and by
-- item_id alone.
DO $$
BEGIN
  IF (SELECT attgenerated FROM pg_attribute WHERE attrelid = 'warehouse.fact_sales'::regclass
      AND attname = 'sales_key') = '' THEN
    -- bi.sales reads it; sql/bi/schema.sql re-creates the view.
    DROP VIEW IF EXISTS bi.sales;
    ALTER TABLE warehouse.fact_sales DROP COLUMN sales_key CASCADE;
    ALTER TABLE warehouse.fact_sales
      ADD COLUMN sales_key bigint GENERATED ALWAYS AS (hashtextextended(item_id, 0)) STORED;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'fact_sales_pkey'
      AND conrelid = 'warehouse.fact_sales'::regclass AND array_length(conkey, 1) = 2) THEN
    ALTER TABLE warehouse.fact_sales DROP CONSTRAINT IF EXISTS fact_sales_pkey,
      ADD CONSTRAINT fact_sales_pkey PRIMARY KEY (transaction_id, sales_key);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'fact_sales_item_key'
      AND conrelid = 'warehouse.fact_sales'::regclass) THEN
    ALTER TABLE warehouse.fact_sales DROP CONSTRAINT IF EXISTS fact_sales_item_id_key,
      ADD CONSTRAINT fact_sales_item_key UNIQUE (transaction_id, item_id);
  END IF;
END $$;
DROP INDEX IF EXISTS warehouse.fact_sales_transaction_idx;
CREATE INDEX IF NOT EXISTS fact_sales_date_idx ON warehouse.fact_sales (date_key);
CREATE INDEX IF NOT EXISTS fact_sales_customer_idx ON warehouse.fact_sales (customer_key);
CREATE INDEX IF NOT EXISTS fact_sales_product_idx ON warehouse.fact_sales (product_key);
CREATE INDEX IF NOT EXISTS fact_sales_payment_idx ON warehouse.fact_sales (payment_method_key);
-- What one run added (work.new_facts in fact_sales.sql), found without
-- reading the history.
CREATE INDEX IF NOT EXISTS fact_sales_created_idx ON warehouse.fact_sales (created_at);

-- The fact load's watermark (sql/warehouse/fact_sales.sql): every production
-- line item created up to this moment has its fact. One row; a daily load
-- reads only the items created after it.
CREATE TABLE IF NOT EXISTS warehouse.fact_watermark (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  items_created_until timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS warehouse.agg_daily_sales (
  date_key int PRIMARY KEY REFERENCES warehouse.dim_date (date_key),
  total_transactions int NOT NULL,
  total_revenue numeric(16,2) NOT NULL,
  total_profit numeric(16,2),
  unique_customers int NOT NULL,
  total_quantity int NOT NULL
);

CREATE TABLE IF NOT EXISTS warehouse.agg_customer_metrics (
  customer_key bigint PRIMARY KEY REFERENCES warehouse.dim_customers (customer_key),
  customer_id text NOT NULL UNIQUE,
  total_transactions int NOT NULL,
  total_spent numeric(16,2) NOT NULL,
  avg_order_value numeric(14,2) NOT NULL,
  first_purchase_date date NOT NULL,
  last_purchase_date date NOT NULL
);

CREATE TABLE IF NOT EXISTS warehouse.agg_product_performance (
  product_key bigint PRIMARY KEY REFERENCES warehouse.dim_products (product_key),
  product_id text NOT NULL UNIQUE,
  total_quantity_sold int NOT NULL,
  total_revenue numeric(16,2) NOT NULL,
  total_profit numeric(16,2),
  avg_discount_percentage numeric(6,2) NOT NULL
);

-- Per day and category of the product version sold: orders, units, revenue,
-- profit. An order has one date, so a period's orders per category are the
-- sum of its days' (sql/analytics/category_performance.sql). A category may
-- be NULL, hence no primary key; rows are replaced day by day.
CREATE TABLE IF NOT EXISTS warehouse.agg_category_daily (
  date_key int NOT NULL REFERENCES warehouse.dim_date (date_key),
  category text,
  transactions int NOT NULL,
  units bigint NOT NULL,
  revenue numeric(16,2) NOT NULL,
  profit numeric(16,2)
);
CREATE INDEX IF NOT EXISTS agg_category_daily_date_idx
  ON warehouse.agg_category_daily (date_key);

-- Per day and discount band (0: none, 1: up to 10 %, 2: to 20 %, 3: to 30 %,
-- 4: more): line items, units and money (sql/analytics/discount_impact.sql).
CREATE TABLE IF NOT EXISTS warehouse.agg_discount_daily (
  date_key int NOT NULL REFERENCES warehouse.dim_date (date_key),
  discount_band int NOT NULL,
  line_items int NOT NULL,
  units bigint NOT NULL,
  revenue numeric(16,2) NOT NULL,
  discount_given numeric(16,2) NOT NULL,
  profit numeric(16,2),
  PRIMARY KEY (date_key, discount_band)
);

-- One row per order, summed from fact_sales by every run: order-level
-- questions (orders per month, per state, per payment method) read a third of
-- the rows and need no COUNT(DISTINCT transaction_id).
CREATE TABLE IF NOT EXISTS warehouse.fact_orders (
  transaction_id text COLLATE "C" PRIMARY KEY,
  date_key int NOT NULL REFERENCES warehouse.dim_date (date_key),
  customer_key bigint NOT NULL REFERENCES warehouse.dim_customers (customer_key),
  payment_method_key int NOT NULL REFERENCES warehouse.dim_payment_method (payment_method_key),
  line_items int NOT NULL,
  units int NOT NULL,
  revenue numeric(16,2) NOT NULL,
  discount_amount numeric(16,2) NOT NULL,
  profit numeric(16,2)
);
CREATE INDEX IF NOT EXISTS fact_orders_date_idx ON warehouse.fact_orders (date_key);
CREATE INDEX IF NOT EXISTS fact_orders_customer_idx ON warehouse.fact_orders (customer_key);
SELECT util.ids_in_byte_order('warehouse.fact_orders', 'transaction_id');

