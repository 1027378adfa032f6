-- GitLab retries a pipeline in place: it keeps its id and goes failed →
-- running → success, and names no attempt. Each finish a pipeline reaches ends
-- one attempt, so the finishes seen so far number its attempts, for the runs
-- role and the incidents role alike (processors/gitlab_attempts.hpp). A
-- retried pipeline's hooks still carry the finish it is retried after (GitLab
-- sets finished_at on finishing and leaves it on a retry), which tells a retry
-- from a late hook of the first attempt.
CREATE TABLE gitlab_pipeline_finishes (
  repository_id bigint NOT NULL,
  run_id bigint NOT NULL,
  finished_at timestamptz NOT NULL,
  PRIMARY KEY (repository_id, run_id, finished_at)
);

-- p_rows: [{"repository_id", "run_id", "finished_at", "follows"}], the ids as
-- stored. A completed pipeline names its own finish (finished_at); a pipeline
-- running again names the finish it follows, and a job its created_at
-- (follows). Every finish is recorded first, so a batch's order does not
-- matter. Answers each row's attempt, by its position n from 1: 1 + the
-- finishes before finished_at, or 1 + the finishes at or before follows.
CREATE FUNCTION faultline_gitlab_attempts(p_rows jsonb) RETURNS TABLE (n bigint, attempt int)
LANGUAGE plpgsql AS $$
BEGIN
  -- In key order, so two transactions recording the same finishes cannot deadlock.
  INSERT INTO gitlab_pipeline_finishes (repository_id, run_id, finished_at)
  SELECT DISTINCT x.repository_id, x.run_id, x.finished_at
    FROM jsonb_to_recordset(p_rows) AS x(repository_id bigint, run_id bigint, finished_at timestamptz)
   WHERE x.finished_at IS NOT NULL
   ORDER BY 1, 2, 3
  ON CONFLICT DO NOTHING;
  RETURN QUERY
  SELECT a.n, 1 + (SELECT count(*)::int FROM gitlab_pipeline_finishes f
                    WHERE f.repository_id = x.repository_id AND f.run_id = x.run_id
                      AND (f.finished_at < x.finished_at OR f.finished_at <= x.follows))
    FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS a(element, n),
         jsonb_to_record(a.element) AS x(repository_id bigint, run_id bigint,
                                         finished_at timestamptz, follows timestamptz)
   ORDER BY a.n;
END
$$;
