-- GitLab beside GitHub. Runs, jobs and incidents stay in the tables they are
-- in; a repository says which provider it belongs to, and everything hanging
-- off it inherits that.
--
-- GitLab's ids are stored negated (a project 42 is repository -42, a pipeline
-- 7 is run -7, a job 9 is job -9): GitHub's ids are positive, so one bigint
-- column holds both providers' ids and no GitHub id can ever collide with a
-- GitLab one, while a replay maps every event to the same row again. The CHECK
-- holds the rule where it cannot be forgotten; common/provider_ids.hpp is the
-- one place C++ applies it, and the API shows the provider and GitLab's own id.
ALTER TABLE repositories
  ADD COLUMN provider text NOT NULL DEFAULT 'github' CHECK (provider IN ('github', 'gitlab')),
  ADD CONSTRAINT repositories_id_sign_matches_provider CHECK ((provider = 'github') = (id > 0));

-- GitLab says why a job failed (`runner_system_failure`,
-- `stuck_or_timeout_failure`, `script_failure`, ...); GitHub does not.
ALTER TABLE workflow_jobs ADD COLUMN failure_reason text;
