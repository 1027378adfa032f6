-- Runs and jobs are counted into the rollups by the upsert that stores them
-- completed, not by a second write of each row afterwards.
--
-- RETURNING shows only a row's new values, so a writer cannot tell from it
-- whether the row was counted before. `counted_in` names the transaction that
-- counted the row: the one whose pg_current_xact_id() it equals counted it
-- itself. Transaction ids of this kind (xid8) never repeat.
ALTER TABLE workflow_runs ADD COLUMN counted_in xid8;
ALTER TABLE workflow_jobs ADD COLUMN counted_in xid8;
UPDATE workflow_runs SET counted_in = '0' WHERE counted;
UPDATE workflow_jobs SET counted_in = '0' WHERE counted;
DROP INDEX workflow_runs_uncounted;
DROP INDEX workflow_jobs_uncounted;
ALTER TABLE workflow_runs DROP COLUMN counted;
ALTER TABLE workflow_jobs DROP COLUMN counted;
CREATE INDEX workflow_runs_uncounted ON workflow_runs (repository_id, run_id, run_attempt)
  WHERE status = 'completed' AND counted_in IS NULL;
CREATE INDEX workflow_jobs_uncounted ON workflow_jobs (repository_id, job_id)
  WHERE status = 'completed' AND counted_in IS NULL;

