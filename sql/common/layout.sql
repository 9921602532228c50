-- The table layout on Citus (docs/scaling.md), applied after every other
-- schema file. Idempotent; does nothing without Citus (util.citus_wanted).
--
-- Reference tables (a copy on every node, so any shard joins them locally):
-- the customers, products and every warehouse table keyed by a dimension.
-- Hash-distributed by transaction_id and co-located (the rows of one order
-- live on one shard, so order-level joins never cross nodes): production
-- transactions and line items, fact_sales and fact_orders; the transform's
-- and warehouse's scratch tables follow them (sql_named.ts, `-- scratch:`).
-- Staging, rejects and ops stay local on the coordinator (docs/scaling.md
-- says why).
--
-- server.distribute = off on a database already distributed turns the
-- tables back into local ones.
-- The foreign keys Citus cannot keep (below), to restore them without Citus.
CREATE TABLE IF NOT EXISTS util.citus_foreign_keys (
  tbl text NOT NULL,
  conname text NOT NULL,
  def text NOT NULL,
  PRIMARY KEY (tbl, conname)
);

DO $$
DECLARE
  reference text[] := ARRAY['production.customers', 'production.products',
    'warehouse.holidays', 'warehouse.dim_date', 'warehouse.dim_payment_method',
    'warehouse.dim_customers', 'warehouse.dim_products', 'warehouse.agg_daily_sales',
    'warehouse.agg_customer_metrics', 'warehouse.agg_product_performance',
    'warehouse.agg_category_daily', 'warehouse.agg_discount_daily',
    'warehouse.fact_watermark'];
  -- Parents first: a foreign key must point at a table already distributed.
  by_transaction text[] := ARRAY['production.transaction_items', 'production.item_moves',
    'warehouse.fact_sales',
    'warehouse.fact_orders'];
  t text;
  r record;
  fks text[] := '{}';
BEGIN
  IF util.citus_wanted() THEN
    -- First, so that a reference table added by a later release joins an
    -- already distributed database too.
    FOREACH t IN ARRAY reference LOOP
      IF NOT util.is_distributed(t::regclass) THEN
        PERFORM create_reference_table(t::regclass);
      END IF;
    END LOOP;
    IF util.is_distributed('production.transactions') THEN
      RETURN;
    END IF;
    -- Citus refuses to distribute a table that a local one references: the
    -- foreign keys to transactions are dropped, then re-created between the
    -- co-located tables.
    FOR r IN
      SELECT c.conrelid::regclass AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c
      WHERE c.contype = 'f' AND c.confrelid = 'production.transactions'::regclass
    LOOP
      fks := fks || format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tbl, r.conname, r.def);
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
    END LOOP;
    PERFORM create_distributed_table('production.transactions', 'transaction_id');
    FOREACH t IN ARRAY by_transaction LOOP
      PERFORM util.distribute(t::regclass, 'transaction_id');
    END LOOP;
    FOREACH t IN ARRAY fks LOOP
      EXECUTE t;
    END LOOP;
    -- Foreign keys into reference tables are kept apart, not enforced: once
    -- a transaction has run a parallel query, Citus refuses to modify a
    -- reference table that a foreign key points at, and before one it
    -- switches the whole transaction to one connection per node
    -- (relation_access_tracking.c). The transform and the warehouse write
    -- both kinds in one transaction. What the keys guarded holds by
    -- construction: rows get a parent only after an orphan check (rejects)
    -- or an inner join with it, and customers, products and dimension
    -- versions are never deleted (docs/scaling.md).
    FOR r IN
      SELECT c.conrelid::regclass AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c
      WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY (reference)
    LOOP
      INSERT INTO util.citus_foreign_keys (tbl, conname, def)
      VALUES (r.tbl::text, r.conname, r.def) ON CONFLICT DO NOTHING;
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
    END LOOP;
  ELSIF util.is_distributed('production.transactions') THEN
    FOREACH t IN ARRAY by_transaction || ARRAY['production.transactions'] || reference LOOP
      IF util.is_distributed(t::regclass) THEN
        PERFORM undistribute_table(t::regclass, cascade_via_foreign_keys => true);
      END IF;
    END LOOP;
    FOR r IN DELETE FROM util.citus_foreign_keys RETURNING * LOOP
      EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tbl, r.conname, r.def);
    END LOOP;
  END IF;
END $$;
