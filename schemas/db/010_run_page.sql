-- A page of the run list, the API's hottest read. As PL/pgSQL its query is
-- planned once per connection instead of on every request (planning cost
-- twice the execution: 1.6 ms against 0.8 ms for a page of 50 of 100,000).
-- Filters: '' (or NULL since) matches everything. Only the latest attempt of
-- each run is listed, newest first.
CREATE FUNCTION faultline_workflow_run_page(p_repository text, p_workflow text, p_branch text,
  p_status text, p_conclusion text, p_since timestamptz, p_limit bigint, p_offset bigint)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT COALESCE(json_agg(doc ORDER BY created DESC NULLS LAST, run_id DESC), '[]')::text
    FROM (
      SELECT json_build_object(
        'repository', r.full_name, 'repository_id', w.repository_id, 'run_id', w.run_id,
        'run_attempt', w.run_attempt, 'workflow_id', w.workflow_id, 'name', w.name,
        'head_branch', w.head_branch, 'head_sha', w.head_sha, 'event', w.event,
        'status', w.status, 'conclusion', w.conclusion, 'html_url', w.html_url,
        'created_at', to_char(w.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'run_started_at', to_char(w.run_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'updated_at', to_char(w.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) AS doc,
        w.created_at AS created, w.run_id
      FROM workflow_runs w JOIN repositories r ON r.id = w.repository_id
      WHERE NOT EXISTS (SELECT 1 FROM workflow_runs n WHERE n.repository_id = w.repository_id
                        AND n.run_id = w.run_id AND n.run_attempt > w.run_attempt)
        AND (p_repository = '' OR lower(r.full_name) = lower(p_repository))
        AND (p_workflow = '' OR w.name = p_workflow)
        AND (p_branch = '' OR w.head_branch = p_branch)
        AND (p_status = '' OR w.status = p_status)
        AND (p_conclusion = '' OR w.conclusion = p_conclusion)
        AND (p_since IS NULL OR w.created_at >= p_since)
      ORDER BY w.created_at DESC NULLS LAST, w.run_id DESC
      LIMIT p_limit OFFSET p_offset) AS page);
END
$$;
