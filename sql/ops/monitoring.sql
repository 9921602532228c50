-- Monitoring history: one row per check per monitor run, so health can be
-- charted and alerts explained after the fact. Idempotent.
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.monitoring_history (
  monitored_at timestamptz NOT NULL,
  check_name text NOT NULL,
  status text NOT NULL,
  message text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  pipeline_health text NOT NULL,
  overall_health_score numeric(5,1) NOT NULL,
  PRIMARY KEY (monitored_at, check_name)
);
