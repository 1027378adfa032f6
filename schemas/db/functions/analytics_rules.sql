-- How runs and jobs are counted into the rollups of 013_failure_intelligence.sql.
-- Applied with CREATE OR REPLACE on every start, like incident_rules.sql.

-- A histogram (48 buckets, see faultline_duration_bucket) of the bucket
-- numbers given; NULLs are left out. PL/pgSQL, whose arrays are changed in
-- place: the set-based SQL these replaced cost the runs role a third of its
-- time (a subquery per bucket per group of a batch).
CREATE OR REPLACE FUNCTION faultline_histogram(p_buckets int[]) RETURNS int[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  h int[] := array_fill(0, ARRAY[48]);
  b int;
BEGIN
  FOREACH b IN ARRAY COALESCE(p_buckets, '{}') LOOP
    IF b IS NOT NULL THEN
      h[b] := h[b] + 1;
    END IF;
  END LOOP;
  RETURN h;
END
$$;

-- Two histograms added bucket by bucket. Adding an empty one (a batch's jobs
-- add no durations, its runs no queue times) is answered without the loop.
CREATE OR REPLACE FUNCTION faultline_histogram_add(a int[], b int[]) RETURNS int[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  h int[] := a;
BEGIN
  IF b <@ '{0}'::int[] THEN
    RETURN a;
  END IF;
  FOR i IN 1..48 LOOP
    h[i] := h[i] + b[i];
  END LOOP;
  RETURN h;
END
$$;

-- The q-quantile (0..1) of a histogram, in seconds: the middle of the bucket
-- it falls in (geometric, so within 15 %); NULL for an empty histogram.
-- PL/pgSQL: a trend asks for three per bucket, and the window-function SQL
-- this replaced took a third of a 30-day trend's time.
CREATE OR REPLACE FUNCTION faultline_histogram_quantile(h int[], q double precision)
RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  total bigint := 0;
  running bigint := 0;
  n int;
BEGIN
  FOREACH n IN ARRAY h LOOP
    total := total + n;
  END LOOP;
  IF total = 0 THEN
    RETURN NULL;
  END IF;
  FOR i IN 1..array_length(h, 1) LOOP
    running := running + h[i];
    IF running >= q * total THEN
      RETURN CASE WHEN i = 1 THEN 0.5 ELSE round(power(1.3, i - 1.5)::numeric, 1)::double precision END;
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;

-- The hour (UTC) a timestamp falls in. Through AT TIME ZONE rather than
-- date_trunc's zone argument: that form is only STABLE, which kept the planner
-- from inlining this function, and a call per counted row cost the runs role
-- more than the truncation itself.
CREATE OR REPLACE FUNCTION faultline_hour(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_trunc('hour', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$$;

-- What the rollups need of a run attempt, and of a job, stored completed.
-- Inlined by the planner, so `(faultline_run_fact(w)).*` costs no call per row.
CREATE OR REPLACE FUNCTION faultline_run_fact(w workflow_runs) RETURNS faultline_counted_run
LANGUAGE sql STABLE AS $$
  SELECT ROW(w.repository_id, w.run_id, w.run_attempt, COALESCE(w.name, ''),
    faultline_hour(COALESCE(w.run_started_at, w.created_at, w.updated_at, w.recorded_at)),
    COALESCE(w.conclusion IN ('failure', 'timed_out', 'startup_failure'), false),
    extract(epoch FROM w.updated_at - w.run_started_at))::faultline_counted_run
$$;

CREATE OR REPLACE FUNCTION faultline_job_fact(j workflow_jobs) RETURNS faultline_counted_job
LANGUAGE sql STABLE AS $$
  SELECT ROW(j.repository_id, j.run_id, j.run_attempt, COALESCE(j.name, ''),
    COALESCE(j.workflow_name, ''), j.conclusion,
    faultline_hour(COALESCE(j.started_at, j.created_at, j.completed_at, j.recorded_at)),
    CASE WHEN j.conclusion IS DISTINCT FROM 'skipped'
         THEN extract(epoch FROM j.started_at - j.created_at) END)::faultline_counted_job
$$;

-- Where a transaction puts what it is to count: counted_runs and counted_jobs,
-- temporary tables of this session, emptied when the transaction ends.
CREATE OR REPLACE FUNCTION faultline_counting_tables() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('pg_temp.counted_runs') IS NULL THEN
    CREATE TEMPORARY TABLE counted_runs OF faultline_counted_run ON COMMIT DELETE ROWS;
  END IF;
  IF to_regclass('pg_temp.counted_jobs') IS NULL THEN
    CREATE TEMPORARY TABLE counted_jobs OF faultline_counted_job ON COMMIT DELETE ROWS;
  END IF;
END
$$;

-- Counts run attempts and jobs into the rollups: the rows of counted_runs and
-- counted_jobs (faultline_counting_tables), each one that this transaction has
-- just marked counted (counted_in), put there as faultline_run_fact and
-- faultline_job_fact give them; they are taken out as they are counted. Flaky
-- runs and jobs are found among what is counted, whichever attempt arrives
-- first.
CREATE OR REPLACE FUNCTION faultline_count_completions() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_has_jobs boolean;
  v_flaky jsonb;
  v_first jsonb;
BEGIN
  -- Its callers made the tables (faultline_counting_tables) before filling them.
  v_has_jobs := EXISTS (SELECT 1 FROM counted_jobs);
  IF NOT v_has_jobs AND NOT EXISTS (SELECT 1 FROM counted_runs) THEN
    RETURN;
  END IF;

  -- Runs that failed in one attempt and passed in a later one.
  -- Only a failure or a later attempt can make one: most runs are neither.
  WITH touched AS (
    SELECT DISTINCT repository_id, run_id FROM counted_runs WHERE failing OR run_attempt > 1),
  found AS (
    SELECT t.repository_id, t.run_id, f.attempt AS failed_attempt, p.run_attempt AS passed_attempt,
           p.head_sha, p.updated_at, COALESCE(p.name, '') AS workflow,
           faultline_hour(COALESCE(p.run_started_at, p.created_at, p.updated_at, p.recorded_at)) AS bucket
      FROM touched t
      CROSS JOIN LATERAL (
        SELECT min(run_attempt) AS attempt FROM workflow_runs
         WHERE repository_id = t.repository_id AND run_id = t.run_id AND counted_in IS NOT NULL
           AND conclusion IN ('failure', 'timed_out', 'startup_failure')) f
      CROSS JOIN LATERAL (
        SELECT * FROM workflow_runs
         WHERE repository_id = t.repository_id AND run_id = t.run_id AND counted_in IS NOT NULL
           AND conclusion = 'success' AND run_attempt > f.attempt
         ORDER BY run_attempt LIMIT 1) p),
  inserted AS (
    INSERT INTO flaky_runs (repository_id, run_id, failed_attempt, passed_attempt, head_sha, passed_at)
    SELECT repository_id, run_id, failed_attempt, passed_attempt, head_sha, updated_at FROM found
    ON CONFLICT (repository_id, run_id) DO NOTHING
    RETURNING repository_id, run_id)
  SELECT jsonb_agg(jsonb_build_object('repository_id', f.repository_id, 'workflow', f.workflow,
                                      'bucket', f.bucket))
    INTO v_flaky
    FROM inserted i JOIN found f USING (repository_id, run_id);

  -- Every change to the hourly rows in one statement, in key order, so that
  -- consumers counting side by side wait for each other but never deadlock.
  WITH facts AS (
    SELECT repository_id, workflow, bucket, 1 AS runs, failing::int AS failures, 0 AS flaky,
           faultline_duration_bucket(seconds) AS d, NULL::int AS q
      FROM counted_runs
    UNION ALL
    SELECT repository_id, workflow, bucket, 0, 0, 1, NULL, NULL
      FROM jsonb_to_recordset(COALESCE(v_flaky, '[]')) AS x(repository_id bigint, workflow text,
           bucket timestamptz)
    UNION ALL
    SELECT repository_id, workflow, bucket, 0, 0, 0, NULL, faultline_duration_bucket(queued)
      FROM counted_jobs WHERE queued IS NOT NULL),
  deltas AS (
    SELECT repository_id, workflow, bucket, sum(runs)::int AS runs, sum(failures)::int AS failures,
           sum(flaky)::int AS flaky, faultline_histogram(array_agg(d)) AS durations,
           faultline_histogram(array_agg(q)) AS queue_times
      FROM facts GROUP BY repository_id, workflow, bucket),
  per_repository AS (
    INSERT INTO ci_hourly AS c (repository_id, workflow, bucket_start, runs, failures, flaky_runs,
                                durations, queue_times)
    SELECT repository_id, workflow, bucket, runs, failures, flaky, durations, queue_times
      FROM deltas ORDER BY repository_id, workflow, bucket
    ON CONFLICT (repository_id, workflow, bucket_start) DO UPDATE SET
      runs = c.runs + EXCLUDED.runs, failures = c.failures + EXCLUDED.failures,
      flaky_runs = c.flaky_runs + EXCLUDED.flaky_runs,
      durations = faultline_histogram_add(c.durations, EXCLUDED.durations),
      queue_times = faultline_histogram_add(c.queue_times, EXCLUDED.queue_times)
    RETURNING 1)
  INSERT INTO ci_hourly_all AS c (bucket_start, runs, failures, flaky_runs, durations, queue_times)
  SELECT bucket, sum(runs), sum(failures), sum(flaky), faultline_histogram(array_agg(d)),
         faultline_histogram(array_agg(q))
    FROM facts GROUP BY bucket ORDER BY bucket
  ON CONFLICT (bucket_start) DO UPDATE SET
    runs = c.runs + EXCLUDED.runs, failures = c.failures + EXCLUDED.failures,
    flaky_runs = c.flaky_runs + EXCLUDED.flaky_runs,
    durations = faultline_histogram_add(c.durations, EXCLUDED.durations),
    queue_times = faultline_histogram_add(c.queue_times, EXCLUDED.queue_times);

  DELETE FROM counted_runs;
  IF NOT v_has_jobs THEN
    RETURN;
  END IF;

  -- Jobs: each job of a run counted once (the first attempt seen completed),
  -- flaky once an attempt passed after an earlier one failed. Three
  -- statements, so the second sees what the first inserted.
  WITH first_seen AS (
    INSERT INTO job_run_outcomes (repository_id, run_id, job, workflow, bucket_start)
    SELECT DISTINCT ON (repository_id, run_id, job) repository_id, run_id, job, workflow, bucket
      FROM counted_jobs WHERE conclusion IS DISTINCT FROM 'skipped'
     ORDER BY repository_id, run_id, job, bucket
    ON CONFLICT (repository_id, run_id, job) DO NOTHING
    RETURNING repository_id, workflow, job, bucket_start)
  SELECT jsonb_agg(first_seen) INTO v_first FROM first_seen;

  WITH touched AS (
    SELECT DISTINCT repository_id, run_id, job FROM counted_jobs
     WHERE conclusion IN ('failure', 'timed_out') OR run_attempt > 1),
  flaky AS (
    UPDATE job_run_outcomes o SET flaky_at = p.completed_at
      FROM touched t
      CROSS JOIN LATERAL (
        SELECT min(run_attempt) AS attempt FROM workflow_jobs
         WHERE repository_id = t.repository_id AND run_id = t.run_id AND name = t.job
           AND counted_in IS NOT NULL AND conclusion IN ('failure', 'timed_out')) f
      CROSS JOIN LATERAL (
        SELECT COALESCE(completed_at, recorded_at) AS completed_at FROM workflow_jobs
         WHERE repository_id = t.repository_id AND run_id = t.run_id AND name = t.job
           AND counted_in IS NOT NULL AND conclusion = 'success' AND run_attempt > f.attempt
         ORDER BY run_attempt LIMIT 1) p
     WHERE o.repository_id = t.repository_id AND o.run_id = t.run_id AND o.job = t.job
       AND o.flaky_at IS NULL
    RETURNING o.repository_id, o.workflow, o.job, o.bucket_start, o.flaky_at)
  SELECT jsonb_agg(flaky) INTO v_flaky FROM flaky;

  WITH facts AS (
    SELECT repository_id, workflow, job, bucket_start, 1 AS runs, 0 AS flaky,
           NULL::timestamptz AS flaky_at
      FROM jsonb_to_recordset(COALESCE(v_first, '[]')) AS x(repository_id bigint, workflow text,
           job text, bucket_start timestamptz)
    UNION ALL
    SELECT repository_id, workflow, job, bucket_start, 0, 1, flaky_at
      FROM jsonb_to_recordset(COALESCE(v_flaky, '[]')) AS x(repository_id bigint, workflow text,
           job text, bucket_start timestamptz, flaky_at timestamptz))
  INSERT INTO job_hourly AS h (repository_id, workflow, job, bucket_start, runs, flaky_runs,
                               last_flaky_at)
  SELECT repository_id, workflow, job, bucket_start, sum(runs), sum(flaky), max(flaky_at)
    FROM facts GROUP BY repository_id, workflow, job, bucket_start
   ORDER BY repository_id, workflow, job, bucket_start
  ON CONFLICT (repository_id, workflow, job, bucket_start) DO UPDATE SET
    runs = h.runs + EXCLUDED.runs, flaky_runs = h.flaky_runs + EXCLUDED.flaky_runs,
    last_flaky_at = GREATEST(h.last_flaky_at, EXCLUDED.last_flaky_at);
  DELETE FROM counted_jobs;
END
$$;

-- Counts up to p_limit completed run attempts and jobs that nothing counted
-- yet (history stored before the rollups existed); returns how many it found.
CREATE OR REPLACE FUNCTION faultline_count_backlog(p_limit int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  v_runs int;
  v_jobs int;
BEGIN
  PERFORM faultline_counting_tables();
  WITH u AS (
    UPDATE workflow_runs w SET counted_in = pg_current_xact_id()
      FROM (SELECT repository_id, run_id, run_attempt FROM workflow_runs
             WHERE status = 'completed' AND counted_in IS NULL LIMIT p_limit) k
     WHERE w.repository_id = k.repository_id AND w.run_id = k.run_id
       AND w.run_attempt = k.run_attempt
    RETURNING w)
  INSERT INTO counted_runs SELECT (faultline_run_fact(u.w)).* FROM u;
  GET DIAGNOSTICS v_runs = ROW_COUNT;
  WITH u AS (
    UPDATE workflow_jobs j SET counted_in = pg_current_xact_id()
      FROM (SELECT repository_id, job_id FROM workflow_jobs
             WHERE status = 'completed' AND counted_in IS NULL LIMIT p_limit) k
     WHERE j.repository_id = k.repository_id AND j.job_id = k.job_id
    RETURNING j)
  INSERT INTO counted_jobs SELECT (faultline_job_fact(u.j)).* FROM u;
  GET DIAGNOSTICS v_jobs = ROW_COUNT;
  PERFORM faultline_count_completions();
  RETURN v_runs + v_jobs;
END
$$;
