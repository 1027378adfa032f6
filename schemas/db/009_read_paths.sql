-- The API's hot read: the newest runs across every repository.
CREATE INDEX workflow_runs_by_time ON workflow_runs (created_at DESC NULLS LAST, run_id DESC);
-- Jobs by the time they were queued, for queue-time statistics over a window.
CREATE INDEX workflow_jobs_by_time ON workflow_jobs (created_at);
-- Incidents resolved in a window, for mean time to recovery.
CREATE INDEX incidents_by_resolution ON incidents (resolved_at) WHERE resolved_at IS NOT NULL;
