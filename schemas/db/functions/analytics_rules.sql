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

-- Two histograms added bucket by bucket.
CREATE OR REPLACE FUNCTION faultline_histogram_add(a int[], b int[]) RETURNS int[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  h int[] := a;
BEGIN
  FOR i IN 1..48 LOOP
    h[i] := h[i] + b[i];
  END LOOP;
  RETURN h;
END
$$;

-- Histograms summed over rows: faultline_histogram_sum(durations).
CREATE OR REPLACE AGGREGATE faultline_histogram_sum(int[]) (
  SFUNC = faultline_histogram_add, STYPE = int[],
  INITCOND = '{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}');

-- The q-quantile (0..1) of a histogram, in seconds: the middle of the bucket
-- it falls in (geometric, so within 15 %); NULL for an empty histogram.
CREATE OR REPLACE FUNCTION faultline_histogram_quantile(h int[], q double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH c AS (
    SELECT i, sum(n) OVER (ORDER BY i) AS running, sum(n) OVER () AS total
      FROM unnest(h) WITH ORDINALITY AS t(n, i))
  SELECT CASE WHEN i = 1 THEN 0.5 ELSE round(power(1.3, i - 1.5)::numeric, 1)::double precision END
    FROM c WHERE total > 0 AND running >= q * total ORDER BY i LIMIT 1
$$;

-- The hour (UTC) a timestamp falls in.
CREATE OR REPLACE FUNCTION faultline_hour(t timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT date_trunc('hour', t, 'UTC')
$$;

-- What the rollups need of a run attempt, and of a job, stored completed.
CREATE OR REPLACE FUNCTION faultline_run_fact(w workflow_runs) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('repository_id', w.repository_id, 'run_id', w.run_id,
    'run_attempt', w.run_attempt, 'workflow', COALESCE(w.name, ''),
    'bucket', faultline_hour(COALESCE(w.run_started_at, w.created_at, w.updated_at, w.recorded_at)),
    'failing', COALESCE(w.conclusion IN ('failure', 'timed_out', 'startup_failure'), false),
    'seconds', extract(epoch FROM w.updated_at - w.run_started_at))
$$;

CREATE OR REPLACE FUNCTION faultline_job_fact(j workflow_jobs) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('repository_id', j.repository_id, 'run_id', j.run_id,
    'run_attempt', j.run_attempt, 'job', COALESCE(j.name, ''),
    'workflow', COALESCE(j.workflow_name, ''), 'conclusion', j.conclusion,
    'bucket', faultline_hour(COALESCE(j.started_at, j.created_at, j.completed_at, j.recorded_at)),
    'queued', CASE WHEN j.conclusion IS DISTINCT FROM 'skipped'
                   THEN extract(epoch FROM j.started_at - j.created_at) END)
$$;

-- Counts run attempts and jobs into the rollups: p_runs as faultline_run_fact
-- and p_jobs as faultline_job_fact give them, each row one that its caller
-- has just marked counted (counted_in), in the same transaction. Flaky runs
-- and jobs are found among what is counted, whichever attempt arrives first.
CREATE OR REPLACE FUNCTION faultline_count_completions(p_runs jsonb, p_jobs jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_runs jsonb := NULLIF(p_runs, '[]');
  v_jobs jsonb := NULLIF(p_jobs, '[]');
  v_flaky jsonb;
  v_first jsonb;
BEGIN
  IF v_runs IS NULL AND v_jobs IS NULL THEN
    RETURN;
  END IF;

  -- Runs that failed in one attempt and passed in a later one.
  -- Only a failure or a later attempt can make one: most runs are neither.
  WITH touched AS (
    SELECT DISTINCT repository_id, run_id
      FROM jsonb_to_recordset(COALESCE(v_runs, '[]'))
           AS x(repository_id bigint, run_id bigint, run_attempt int, failing boolean)
     WHERE failing OR run_attempt > 1),
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
      FROM jsonb_to_recordset(COALESCE(v_runs, '[]')) AS x(repository_id bigint, workflow text,
           bucket timestamptz, failing boolean, seconds double precision)
    UNION ALL
    SELECT repository_id, workflow, bucket, 0, 0, 1, NULL, NULL
      FROM jsonb_to_recordset(COALESCE(v_flaky, '[]')) AS x(repository_id bigint, workflow text,
           bucket timestamptz)
    UNION ALL
    SELECT repository_id, workflow, bucket, 0, 0, 0, NULL, faultline_duration_bucket(queued)
      FROM jsonb_to_recordset(COALESCE(v_jobs, '[]')) AS x(repository_id bigint, workflow text,
           bucket timestamptz, queued double precision)
     WHERE queued IS NOT NULL),
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

  IF v_jobs IS NULL THEN
    RETURN;
  END IF;

  -- Jobs: each job of a run counted once (the first attempt seen completed),
  -- flaky once an attempt passed after an earlier one failed. Three
  -- statements, so the second sees what the first inserted.
  WITH first_seen AS (
    INSERT INTO job_run_outcomes (repository_id, run_id, job, workflow, bucket_start)
    SELECT DISTINCT ON (repository_id, run_id, job) repository_id, run_id, job, workflow, bucket
      FROM jsonb_to_recordset(v_jobs) AS x(repository_id bigint, run_id bigint, job text,
           workflow text, conclusion text, bucket timestamptz)
     WHERE conclusion IS DISTINCT FROM 'skipped'
     ORDER BY repository_id, run_id, job, bucket
    ON CONFLICT (repository_id, run_id, job) DO NOTHING
    RETURNING repository_id, workflow, job, bucket_start)
  SELECT jsonb_agg(first_seen) INTO v_first FROM first_seen;

  WITH touched AS (
    SELECT DISTINCT repository_id, run_id, job
      FROM jsonb_to_recordset(v_jobs)
           AS x(repository_id bigint, run_id bigint, run_attempt int, job text, conclusion text)
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
END
$$;

-- Counts up to p_limit completed run attempts and jobs that nothing counted
-- yet (history stored before the rollups existed); returns how many it found.
CREATE OR REPLACE FUNCTION faultline_count_backlog(p_limit int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  v_runs jsonb;
  v_jobs jsonb;
BEGIN
  WITH u AS (
    UPDATE workflow_runs w SET counted_in = pg_current_xact_id()
      FROM (SELECT repository_id, run_id, run_attempt FROM workflow_runs
             WHERE status = 'completed' AND counted_in IS NULL LIMIT p_limit) k
     WHERE w.repository_id = k.repository_id AND w.run_id = k.run_id
       AND w.run_attempt = k.run_attempt
    RETURNING w)
  SELECT jsonb_agg(faultline_run_fact(u.w)) INTO v_runs FROM u;
  WITH u AS (
    UPDATE workflow_jobs j SET counted_in = pg_current_xact_id()
      FROM (SELECT repository_id, job_id FROM workflow_jobs
             WHERE status = 'completed' AND counted_in IS NULL LIMIT p_limit) k
     WHERE j.repository_id = k.repository_id AND j.job_id = k.job_id
    RETURNING j)
  SELECT jsonb_agg(faultline_job_fact(u.j)) INTO v_jobs FROM u;
  PERFORM faultline_count_completions(COALESCE(v_runs, '[]'), COALESCE(v_jobs, '[]'));
  RETURN COALESCE(jsonb_array_length(v_runs), 0) + COALESCE(jsonb_array_length(v_jobs), 0);
END
$$;
