-- The API shows each provider's own ids and names the provider, so a GitLab
-- pipeline 7 is {"provider": "gitlab", "run_id": 7}, never run -7
-- (021_providers.sql says why it is stored negated).
CREATE FUNCTION faultline_provider(stored_id bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN stored_id > 0 THEN 'github' ELSE 'gitlab' END
$$;

CREATE OR REPLACE FUNCTION faultline_run_document(v latest_workflow_runs) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'provider', faultline_provider(v.repository_id),
    'repository', v.repository, 'repository_id', abs(v.repository_id), 'run_id', abs(v.run_id),
    'run_attempt', v.run_attempt, 'workflow_id', v.workflow_id, 'name', v.name,
    'head_branch', v.head_branch, 'head_sha', v.head_sha, 'event', v.event,
    'status', v.status, 'conclusion', v.conclusion, 'html_url', v.html_url,
    'created_at', to_char(v.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'run_started_at', to_char(v.run_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'updated_at', to_char(v.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
$$;
