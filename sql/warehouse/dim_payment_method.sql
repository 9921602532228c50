-- Payment methods. Reads production.transactions and util.payment_methods;
-- writes warehouse.dim_payment_method.
-- Part of the warehouse load: stages/warehouse.ts runs sql/warehouse/*.sql in
-- the order of its FILES list, in one transaction. Session settings:
-- ecom.as_of (a date: the day a changed dimension row's new version takes
-- effect; the old one ends the day before) and ecom.loaded_at (this run's
-- timestamp, stamped on the facts it adds). A customer's or product's first
-- version is effective from 1900-01-01, so every sale, however old, finds the
-- version valid on its date.

-- name: payment_methods
INSERT INTO warehouse.dim_payment_method (payment_method_name, payment_type)
SELECT p.name, coalesce(max(m.payment_type), 'Unknown')
FROM (SELECT DISTINCT coalesce(payment_method, 'Unknown') AS name
  FROM production.transactions) p
LEFT JOIN util.payment_methods m ON m.name = p.name
GROUP BY p.name
ON CONFLICT (payment_method_name) DO NOTHING;
