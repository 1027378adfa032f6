-- Failure intelligence: what each failing job said (its signature and cause
-- category), flaky runs and jobs, and hourly rollups that the analytics
-- endpoints read instead of the runs themselves.
--
-- The rollups are counted by the processors in the transaction that stores
-- the runs and jobs (faultline_count_completions in
-- functions/analytics_rules.sql). Each run attempt and job is counted once,
-- when first seen completed (`counted`); every bucket is an hour of GitHub's
-- own timestamps, never of the time Faultline applied the event, so a replay
-- into an empty database rebuilds the same figures.

ALTER TABLE workflow_runs ADD COLUMN counted boolean NOT NULL DEFAULT false;
ALTER TABLE workflow_jobs ADD COLUMN counted boolean NOT NULL DEFAULT false;
-- What the processors still have to count: history stored before this
-- migration, then nothing for long.
CREATE INDEX workflow_runs_uncounted ON workflow_runs (repository_id, run_id, run_attempt)
  WHERE status = 'completed' AND NOT counted;
CREATE INDEX workflow_jobs_uncounted ON workflow_jobs (repository_id, job_id)
  WHERE status = 'completed' AND NOT counted;
CREATE INDEX workflow_jobs_by_run_and_name ON workflow_jobs (repository_id, run_id, name);

-- Durations are kept as histograms with 48 buckets growing by 30 %: bucket 1
-- holds what took under a second, bucket b (2..47) [1.3^(b-2), 1.3^(b-1)) s,
-- bucket 48 everything from 1.3^46 s (about two days). A percentile read back
-- from one is the bucket's geometric middle: within 15 % of the true value.
CREATE FUNCTION faultline_duration_bucket(seconds double precision) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN seconds IS NULL THEN NULL
              WHEN seconds < 1 THEN 1
              ELSE LEAST(48, 2 + floor(ln(seconds) / ln(1.3))::int) END
$$;

-- Per repository, workflow (its name, '' when unknown) and hour.
CREATE TABLE ci_hourly (
  repository_id  bigint      NOT NULL,
  workflow       text        NOT NULL,
  bucket_start   timestamptz NOT NULL,
  runs           int         NOT NULL DEFAULT 0,  -- completed run attempts
  failures       int         NOT NULL DEFAULT 0,  -- of those: failure, timed_out, startup_failure
  flaky_runs     int         NOT NULL DEFAULT 0,  -- runs that failed, then passed on a re-run
  durations      int[]       NOT NULL DEFAULT array_fill(0, ARRAY[48]),  -- run attempts
  queue_times    int[]       NOT NULL DEFAULT array_fill(0, ARRAY[48]),  -- jobs: queued to started
  PRIMARY KEY (repository_id, workflow, bucket_start)
);
CREATE INDEX ci_hourly_by_time ON ci_hourly (bucket_start);

-- All repositories together, per hour: what a dashboard's first view asks.
CREATE TABLE ci_hourly_all (
  bucket_start   timestamptz PRIMARY KEY,
  runs           int         NOT NULL DEFAULT 0,
  failures       int         NOT NULL DEFAULT 0,
  flaky_runs     int         NOT NULL DEFAULT 0,
  durations      int[]       NOT NULL DEFAULT array_fill(0, ARRAY[48]),
  queue_times    int[]       NOT NULL DEFAULT array_fill(0, ARRAY[48])
);

-- Per repository, workflow, job name and hour (of the job's first completion
-- in its run): in how many runs the job ran, and in how many it was flaky.
CREATE TABLE job_hourly (
  repository_id  bigint      NOT NULL,
  workflow       text        NOT NULL,
  job            text        NOT NULL,
  bucket_start   timestamptz NOT NULL,
  runs           int         NOT NULL DEFAULT 0,
  flaky_runs     int         NOT NULL DEFAULT 0,
  last_flaky_at  timestamptz,
  PRIMARY KEY (repository_id, workflow, job, bucket_start)
);
CREATE INDEX job_hourly_by_time ON job_hourly (bucket_start);

-- Each job of each run once, whatever its attempts: counted when first seen
-- completed, flaky once a later attempt passed after an earlier one failed.
CREATE TABLE job_run_outcomes (
  repository_id  bigint      NOT NULL,
  run_id         bigint      NOT NULL,
  job            text        NOT NULL,
  workflow       text        NOT NULL,
  bucket_start   timestamptz NOT NULL,
  flaky_at       timestamptz,
  PRIMARY KEY (repository_id, run_id, job)
);

-- A run that failed in one attempt and passed in a later one (same commit).
CREATE TABLE flaky_runs (
  repository_id   bigint      NOT NULL,
  run_id          bigint      NOT NULL,
  failed_attempt  int         NOT NULL,
  passed_attempt  int         NOT NULL,
  head_sha        text,
  passed_at       timestamptz,
  PRIMARY KEY (repository_id, run_id)
);

-- What each failing job's log said, once per job: its normalised error lines,
-- their signature (a hash of what does not depend on the repository) and the
-- cause category from schemas/failure_rules.json.
CREATE TABLE job_failures (
  repository_id     bigint      NOT NULL,
  job_id            bigint      NOT NULL,
  run_id            bigint      NOT NULL,
  incident_id       bigint      REFERENCES incidents (id),
  job               text        NOT NULL,
  step              text        NOT NULL DEFAULT '',
  signature         text        NOT NULL,
  category          text        NOT NULL,
  normalized_error  text        NOT NULL,
  first_line        text        NOT NULL DEFAULT '',
  failed_at         timestamptz NOT NULL,  -- the job's completion, else the run's creation
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, job_id)
);
CREATE INDEX job_failures_by_signature ON job_failures (signature, failed_at DESC);
CREATE INDEX job_failures_by_incident ON job_failures (incident_id);

-- Each signature once, with the example first seen; per repository and day,
-- how often it was seen (the list endpoint sums these, not job_failures).
CREATE TABLE failure_signatures (
  signature           text PRIMARY KEY,
  category            text        NOT NULL,
  normalized_error    text        NOT NULL,
  example_repository  text        NOT NULL,
  example_run_id      bigint      NOT NULL,
  example_job         text        NOT NULL,
  example_line        text        NOT NULL,
  first_seen          timestamptz NOT NULL,
  last_seen           timestamptz NOT NULL
);
CREATE TABLE failure_signature_daily (
  signature      text        NOT NULL,
  repository_id  bigint      NOT NULL,
  day            date        NOT NULL,
  category       text        NOT NULL,
  occurrences    int         NOT NULL DEFAULT 0,
  last_seen      timestamptz NOT NULL,
  PRIMARY KEY (signature, repository_id, day)
);
CREATE INDEX failure_signature_daily_by_day ON failure_signature_daily (day);

-- Incidents learn their signature and category from their first failing job
-- that has one, and can be resolved by a re-run of the same commit.
ALTER TABLE incidents ADD COLUMN signature text;
ALTER TABLE incidents ADD COLUMN category text;
ALTER TABLE incidents ADD COLUMN first_failure_created_at timestamptz;
UPDATE incidents i SET first_failure_created_at = (
  SELECT min(x.run_created_at) FROM incident_runs x WHERE x.incident_id = i.id AND x.role = 'failure');
ALTER TABLE incidents DROP CONSTRAINT incidents_resolution_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_resolution_check
  CHECK (resolution IN ('run_succeeded', 'flaky', 'manual'));
CREATE INDEX incidents_open_by_signature ON incidents (signature) WHERE state <> 'resolved';
-- Trends count incidents by GitHub's times: opened by the first failing run's
-- creation, resolved by the resolving run's.
CREATE INDEX incidents_by_first_failure ON incidents (first_failure_created_at);
CREATE INDEX incidents_by_resolving_run ON incidents (resolved_by_run_created_at)
  WHERE resolved_by_run_created_at IS NOT NULL;
