-- Filtered run lists stay fast however the filters are mixed.
--
-- The run page used to be one query with "filter = '' OR column = filter" for
-- every filter. PL/pgSQL caches its plan per connection and, after five calls,
-- may keep a generic plan, made without knowing which filters are empty. When
-- a few expensive calls (a branch with no runs) made that plan look cheap,
-- every later call on the connection used it: with 50 repositories and 220,000
-- runs the unfiltered first page took 1.9 s instead of 1 ms. Now the
-- unfiltered page, the dashboard's first view, has a query of its own whose
-- plan is safe to keep, and a filtered page is planned for its filters on each
-- call (~0.5 ms), so the planner sees what is asked and picks the index.

-- The runs the API lists: the latest attempt of each, with its repository's
-- name. The planner folds the view into each query that reads it.
CREATE VIEW latest_workflow_runs AS
  SELECT w.*, r.full_name AS repository
  FROM workflow_runs w JOIN repositories r ON r.id = w.repository_id
  WHERE NOT EXISTS (SELECT 1 FROM workflow_runs n WHERE n.repository_id = w.repository_id
                    AND n.run_id = w.run_id AND n.run_attempt > w.run_attempt);

-- One rendering of a run for the API, shared by the list and the detail.
CREATE FUNCTION faultline_run_document(v latest_workflow_runs) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'repository', v.repository, 'repository_id', v.repository_id, 'run_id', v.run_id,
    'run_attempt', v.run_attempt, 'workflow_id', v.workflow_id, 'name', v.name,
    'head_branch', v.head_branch, 'head_sha', v.head_sha, 'event', v.event,
    'status', v.status, 'conclusion', v.conclusion, 'html_url', v.html_url,
    'created_at', to_char(v.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'run_started_at', to_char(v.run_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'updated_at', to_char(v.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
$$;

-- Parallel workers are off: a kept plan cannot know the page is small (it
-- assumes a tenth of the table) and would start workers for 50 rows.
CREATE OR REPLACE FUNCTION faultline_workflow_run_page(p_repository text, p_workflow text,
  p_branch text, p_status text, p_conclusion text, p_since timestamptz, p_limit bigint,
  p_offset bigint)
RETURNS text LANGUAGE plpgsql STABLE
SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
  filters text := '';
  page text;
BEGIN
  IF p_repository = '' AND p_workflow = '' AND p_branch = '' AND p_status = ''
     AND p_conclusion = '' AND p_since IS NULL THEN
    RETURN (
      SELECT COALESCE(json_agg(doc ORDER BY created DESC NULLS LAST, run_id DESC), '[]')::text
      FROM (SELECT faultline_run_document(v) AS doc, v.created_at AS created, v.run_id
            FROM latest_workflow_runs v
            ORDER BY v.created_at DESC NULLS LAST, v.run_id DESC
            LIMIT p_limit OFFSET p_offset) AS page);
  END IF;

  IF p_repository <> '' THEN filters := filters || ' AND lower(repository) = lower($1)'; END IF;
  IF p_workflow <> '' THEN filters := filters || ' AND name = $2'; END IF;
  IF p_branch <> '' THEN filters := filters || ' AND head_branch = $3'; END IF;
  IF p_status <> '' THEN filters := filters || ' AND status = $4'; END IF;
  IF p_conclusion <> '' THEN filters := filters || ' AND conclusion = $5'; END IF;
  IF p_since IS NOT NULL THEN filters := filters || ' AND created_at >= $6'; END IF;
  -- Only fixed text is joined; every value is a bound parameter.
  EXECUTE 'SELECT COALESCE(json_agg(doc ORDER BY created DESC NULLS LAST, run_id DESC), ''[]'')::text
           FROM (SELECT faultline_run_document(v) AS doc, v.created_at AS created, v.run_id
                 FROM latest_workflow_runs v WHERE true' || filters || '
                 ORDER BY v.created_at DESC NULLS LAST, v.run_id DESC
                 LIMIT $7 OFFSET $8) AS page'
    INTO page
    USING p_repository, p_workflow, p_branch, p_status, p_conclusion, p_since, p_limit, p_offset;
  RETURN page;
END
$$;

-- "The runs of my branch": newest first without reading every other branch.
CREATE INDEX workflow_runs_by_branch_time
  ON workflow_runs (head_branch, created_at DESC NULLS LAST, run_id DESC);
