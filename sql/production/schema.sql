-- Production: typed, cleansed, constrained. Idempotent.
--
-- Ids compare in byte order (COLLATE "C"): they are codes, not words, and a
-- linguistic collation makes every sort of them (index builds, foreign-key
-- checks, merge joins) call the C library's strcoll: the three index builds
-- of a first load at scale 100 took 9 s instead of 6.
CREATE SCHEMA IF NOT EXISTS production;
-- Scratch tables of the transform and the warehouse (lib/sql_named.ts).
CREATE SCHEMA IF NOT EXISTS work;

CREATE TABLE IF NOT EXISTS production.customers (
  customer_id text COLLATE "C" PRIMARY KEY CHECK (customer_id <> ''),
  first_name text,
  last_name text,
  email text,
  phone text,
  registration_date date NOT NULL,
  city text,
  state text,
  country text,
  age_group text,
  -- false once a full snapshot no longer contains the id (kept for history).
  is_active boolean NOT NULL DEFAULT true,
  source_file text,
  source_row bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Deferred so that a load that swaps two customers' emails commits.
  CONSTRAINT customers_email_key UNIQUE (email) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE IF NOT EXISTS production.products (
  product_id text COLLATE "C" PRIMARY KEY CHECK (product_id <> ''),
  product_name text,
  category text,
  sub_category text,
  price numeric(12,2) NOT NULL CHECK (price >= 0),
  cost numeric(12,2) CHECK (cost >= 0),
  brand text,
  stock_quantity integer CHECK (stock_quantity >= 0),
  supplier_id text,
  is_active boolean NOT NULL DEFAULT true,
  source_file text,
  source_row bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS production.transactions (
  transaction_id text COLLATE "C" PRIMARY KEY CHECK (transaction_id <> ''),
  customer_id text COLLATE "C" NOT NULL REFERENCES production.customers (customer_id),
  transaction_date date NOT NULL,
  transaction_time time,
  payment_method text,
  shipping_address text,
  -- Sum of the items' line totals (the stated amount when within a cent).
  total_amount numeric(14,2) NOT NULL,
  stated_total_amount numeric(14,2),
  source_file text,
  source_row bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS transactions_customer_idx ON production.transactions (customer_id);
CREATE INDEX IF NOT EXISTS transactions_date_idx ON production.transactions (transaction_date);

-- Keyed by (transaction_id, item_id): on Citus a unique key must hold the
-- distribution column. The global uniqueness of item ids is kept by the
-- transform (moved_items in sql/production/transaction_items.sql).
CREATE TABLE IF NOT EXISTS production.transaction_items (
  item_id text COLLATE "C" NOT NULL CHECK (item_id <> ''),
  transaction_id text COLLATE "C" NOT NULL REFERENCES production.transactions (transaction_id),
  product_id text COLLATE "C" NOT NULL REFERENCES production.products (product_id),
  quantity integer NOT NULL CHECK (quantity > 0),
  unit_price numeric(12,2) NOT NULL CHECK (unit_price >= 0),
  discount_percentage numeric(5,2) NOT NULL DEFAULT 0
    CHECK (discount_percentage BETWEEN 0 AND 100),
  -- quantity * unit_price * (1 - discount/100) in cents (the stated amount when within a cent).
  line_total numeric(14,2) NOT NULL,
  stated_line_total numeric(14,2),
  source_file text,
  source_row bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT transaction_items_pkey PRIMARY KEY (transaction_id, item_id)
);
CREATE INDEX IF NOT EXISTS items_product_idx ON production.transaction_items (product_id);
-- The warehouse's daily fact load reads the items created after its
-- watermark (sql/warehouse/fact_sales.sql), not the whole history.
CREATE INDEX IF NOT EXISTS items_created_idx ON production.transaction_items (created_at);

-- Every staging row that could not enter production, with every reason.
CREATE TABLE IF NOT EXISTS production.rejected_records (
  run_id text NOT NULL,
  staging_loaded_at timestamptz,
  table_name text NOT NULL,
  record_id text,
  source_file text,
  source_row bigint NOT NULL,
  reasons text[] NOT NULL,
  raw jsonb NOT NULL,
  rejected_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (staging_loaded_at, table_name, source_row)
);
CREATE INDEX IF NOT EXISTS rejected_run_idx ON production.rejected_records (run_id);

-- The business day of the snapshot a customer or product row came from
-- (daily increments); NULL for full loads. A day re-run after later days
-- must not put back an older version of a row.
ALTER TABLE production.customers ADD COLUMN IF NOT EXISTS business_date date;
ALTER TABLE production.products ADD COLUMN IF NOT EXISTS business_date date;
-- Rejects of a day's increment are replaced when the day is re-run.
ALTER TABLE production.rejected_records ADD COLUMN IF NOT EXISTS business_date date;

-- Databases created before ids were declared COLLATE "C": the columns are
-- altered in place (indexes and foreign keys are rebuilt, rows are not
-- rewritten). Does nothing once they are.
SELECT util.ids_in_byte_order('production.customers', 'customer_id',
  'production.products', 'product_id', 'production.transactions', 'transaction_id',
  'production.transactions', 'customer_id', 'production.transaction_items', 'item_id',
  'production.transaction_items', 'transaction_id', 'production.transaction_items',
  'product_id');

-- Databases keyed by item_id alone (before Citus): re-keyed in place.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint
      WHERE conname = 'transaction_items_pkey' AND conrelid = 'production.transaction_items'::regclass
        AND array_length(conkey, 1) = 1) THEN
    ALTER TABLE production.transaction_items DROP CONSTRAINT transaction_items_pkey;
    ALTER TABLE production.transaction_items
      ADD CONSTRAINT transaction_items_pkey PRIMARY KEY (transaction_id, item_id);
  END IF;
END $$;
DROP INDEX IF EXISTS production.items_transaction_idx;

-- Line items that moved to another transaction (sql/production/load.sql):
-- the old (transaction_id, item_id) row was deleted; the warehouse drops its
-- fact. Distributed by the old transaction on Citus, next to that fact.
CREATE TABLE IF NOT EXISTS production.item_moves (
  transaction_id text COLLATE "C" NOT NULL,
  item_id text COLLATE "C" NOT NULL,
  to_transaction_id text COLLATE "C" NOT NULL,
  run_id text NOT NULL,
  moved_at timestamptz NOT NULL DEFAULT now()
);
