-- The calendar. Reads production.transactions and warehouse.holidays; writes warehouse.dim_date.
-- Part of the warehouse load: stages/warehouse.ts runs sql/warehouse/*.sql in
-- the order of its FILES list, in one transaction. Session settings:
-- ecom.as_of (a date: the day a changed dimension row's new version takes
-- effect; the old one ends the day before) and ecom.loaded_at (this run's
-- timestamp, stamped on the facts it adds). A customer's or product's first
-- version is effective from 1900-01-01, so every sale, however old, finds the
-- version valid on its date.

-- name: fill_dates
-- Whole years around the accepted facts (and the day changes take effect):
-- the calendar of reports spans the sales, not the customers' registrations.
WITH bounds AS (
  SELECT (SELECT min(transaction_date) FROM production.transactions) AS lo,
    greatest((SELECT max(transaction_date) FROM production.transactions),
      current_setting('ecom.as_of')::date) AS hi
),
days AS (
  SELECT g.d::date AS d
  FROM bounds, generate_series(date_trunc('year', lo),
    date_trunc('year', hi) + interval '1 year - 1 day', interval '1 day') AS g(d)
  WHERE lo IS NOT NULL
),
ins AS (
  INSERT INTO warehouse.dim_date (date_key, full_date, year, quarter, month, day, month_name,
    day_name, week_of_year, is_weekend, is_holiday, holiday_name)
  SELECT to_char(d, 'YYYYMMDD')::int, d, extract(year FROM d)::int,
    extract(quarter FROM d)::int, extract(month FROM d)::int, extract(day FROM d)::int,
    trim(to_char(d, 'Month')), trim(to_char(d, 'Day')), extract(week FROM d)::int,
    extract(isodow FROM d) IN (6, 7), h.name IS NOT NULL, h.name
  FROM days
  LEFT JOIN warehouse.holidays h
    ON h.month = extract(month FROM d) AND h.day = extract(day FROM d)
  ON CONFLICT (date_key) DO NOTHING
  RETURNING 1
)
SELECT count(*)::int AS inserted FROM ins;

-- name: refresh_holidays
-- Holidays added to warehouse.holidays later apply to existing days too.
UPDATE warehouse.dim_date d
SET is_holiday = h.name IS NOT NULL, holiday_name = h.name
FROM warehouse.dim_date d2
LEFT JOIN warehouse.holidays h ON h.month = d2.month AND h.day = d2.day
WHERE d.date_key = d2.date_key AND d.holiday_name IS DISTINCT FROM h.name;
