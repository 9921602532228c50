-- Run history shared by the stages: quality results per run, so monitoring
-- can show trends. Idempotent.
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.dq_runs (
  run_id text PRIMARY KEY,
  checked_at timestamptz NOT NULL,
  overall_score numeric(6,2) NOT NULL,
  grade text NOT NULL,
  passed boolean NOT NULL,
  staging_loaded_at timestamptz
);

CREATE TABLE IF NOT EXISTS ops.dq_results (
  run_id text NOT NULL REFERENCES ops.dq_runs (run_id) ON DELETE CASCADE,
  checked_at timestamptz NOT NULL,
  check_name text NOT NULL,
  dimension text NOT NULL,
  table_name text NOT NULL,
  severity text NOT NULL,
  checked bigint NOT NULL,
  failed bigint NOT NULL,
  score numeric(6,2) NOT NULL,
  status text NOT NULL,
  PRIMARY KEY (run_id, check_name)
);
CREATE INDEX IF NOT EXISTS dq_results_check_time ON ops.dq_results (check_name, checked_at);
