-- Counting costs the runs role less.
--
-- What the upserts count was handed to faultline_count_completions as JSON:
-- built row by row, sent to the client and back, parsed again. It now goes
-- into two temporary tables of the types below (created per session by
-- faultline_counting_tables, emptied at commit), which the counting reads.
CREATE TYPE faultline_counted_run AS (
  repository_id bigint,
  run_id        bigint,
  run_attempt   int,
  workflow      text,
  bucket        timestamptz,
  failing       boolean,
  seconds       double precision
);

CREATE TYPE faultline_counted_job AS (
  repository_id bigint,
  run_id        bigint,
  run_attempt   int,
  job           text,
  workflow      text,
  conclusion    text,
  bucket        timestamptz,
  queued        double precision
);

-- The JSON forms, replaced in functions/analytics_rules.sql.
DROP FUNCTION IF EXISTS faultline_count_completions(jsonb, jsonb);
DROP FUNCTION IF EXISTS faultline_run_fact(workflow_runs);
DROP FUNCTION IF EXISTS faultline_job_fact(workflow_jobs);
-- Unused since the analytics sum histograms bucket by bucket in SQL.
DROP AGGREGATE IF EXISTS faultline_histogram_sum(int[]);

-- A change notifies once per statement, not once per row: a batch changes
-- hundreds of hourly rows, and a PL/pgSQL trigger per row cost the runs role
-- a tenth of its time. The changed rows are still looked at, so a statement
-- that changes nothing (the runs role's touch of known repositories) says
-- nothing.
CREATE FUNCTION faultline_analytics_rows_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed_rows) THEN
    PERFORM pg_notify('faultline_analytics', '');
  END IF;
  RETURN NULL;
END
$$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ci_hourly', 'ci_hourly_all', 'job_hourly', 'failure_signature_daily',
                           'failure_signatures', 'job_failures', 'incidents', 'repositories'] LOOP
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_changed', t);
    -- One trigger per event: PostgreSQL allows transition tables only so.
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION faultline_analytics_rows_changed()',
                   t || '_inserted', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS changed_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION faultline_analytics_rows_changed()',
                   t || '_updated', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION faultline_analytics_rows_changed()',
                   t || '_deleted', t);
  END LOOP;
END
$$;
