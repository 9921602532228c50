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

-- Pipeline run history: one row per run and per step attempt outcome.
CREATE TABLE IF NOT EXISTS ops.pipeline_runs (
  run_id text PRIMARY KEY,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  status text NOT NULL,
  steps text[] NOT NULL,
  failed_step text,
  error_message text
);
CREATE INDEX IF NOT EXISTS pipeline_runs_started ON ops.pipeline_runs (started_at);
-- mode: full (a whole snapshot) or daily (one business day's increment).
ALTER TABLE ops.pipeline_runs ADD COLUMN IF NOT EXISTS mode text NOT NULL DEFAULT 'full';
ALTER TABLE ops.pipeline_runs ADD COLUMN IF NOT EXISTS business_date date;
CREATE INDEX IF NOT EXISTS pipeline_runs_business_date ON ops.pipeline_runs (business_date);

CREATE TABLE IF NOT EXISTS ops.step_runs (
  run_id text NOT NULL REFERENCES ops.pipeline_runs (run_id) ON DELETE CASCADE,
  step text NOT NULL,
  position int NOT NULL,
  status text NOT NULL,
  started_at timestamptz,
  ended_at timestamptz,
  duration_seconds numeric(12,3),
  records_processed bigint NOT NULL DEFAULT 0,
  retry_attempts int NOT NULL DEFAULT 0,
  error_message text,
  PRIMARY KEY (run_id, step)
);
