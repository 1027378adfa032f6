-- Runs and jobs as GitHub reports them, the consumers' offsets, and a log of
-- every event applied (which is how "exactly once" is checked).

CREATE TABLE repositories (
  id          bigint PRIMARY KEY,           -- GitHub's repository id
  full_name   text NOT NULL,                -- owner/name, as last seen
  first_seen  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX repositories_full_name ON repositories (lower(full_name));

-- Orders statuses so that state never goes backwards. Statuses GitHub adds
-- later rank 0: stored on first sight, never allowed to overwrite a known one.
CREATE FUNCTION faultline_status_rank(status text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE status
    WHEN 'requested' THEN 1 WHEN 'pending' THEN 1 WHEN 'waiting' THEN 1 WHEN 'queued' THEN 1
    WHEN 'in_progress' THEN 2
    WHEN 'completed' THEN 3
    ELSE 0 END
$$;

CREATE TABLE workflow_runs (
  repository_id   bigint NOT NULL REFERENCES repositories (id),
  run_id          bigint NOT NULL,
  run_attempt     int    NOT NULL,
  workflow_id     bigint,
  name            text,
  head_branch     text,
  head_sha        text,
  event           text,
  status          text NOT NULL,
  conclusion      text,
  html_url        text,
  created_at      timestamptz,
  run_started_at  timestamptz,
  updated_at      timestamptz,                -- GitHub's; NULL while only jobs were seen
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, run_id, run_attempt)
);
CREATE INDEX workflow_runs_by_run_id ON workflow_runs (run_id, run_attempt DESC);
CREATE INDEX workflow_runs_by_repository_time ON workflow_runs (repository_id, created_at DESC);

CREATE TABLE workflow_jobs (
  repository_id   bigint NOT NULL REFERENCES repositories (id),
  job_id          bigint NOT NULL,
  run_id          bigint NOT NULL,
  run_attempt     int    NOT NULL,
  name            text,
  workflow_name   text,
  head_branch     text,
  head_sha        text,
  status          text NOT NULL,
  conclusion      text,
  html_url        text,
  runner_name     text,
  labels          jsonb NOT NULL DEFAULT '[]',
  created_at      timestamptz,
  started_at      timestamptz,
  completed_at    timestamptz,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, job_id)
);
CREATE INDEX workflow_jobs_by_run ON workflow_jobs (repository_id, run_id, run_attempt);

-- Where each consumer group is in each partition. Written in the same
-- transaction as the state the messages produced.
CREATE TABLE consumer_offsets (
  group_id     text   NOT NULL,
  topic        text   NOT NULL,
  partition    int    NOT NULL,
  next_offset  bigint NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);

-- One row per message a consumer group applied. No unique key on purpose:
-- a message applied twice shows up here as two rows instead of being hidden.
CREATE TABLE applied_events (
  group_id         text   NOT NULL,
  topic            text   NOT NULL,
  partition        int    NOT NULL,
  "offset"         bigint NOT NULL,
  delivery_id      text   NOT NULL,
  hook_id          bigint,
  repository_id    bigint NOT NULL,
  run_id           bigint NOT NULL,
  kafka_timestamp  timestamptz,
  applied_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applied_events_by_position ON applied_events (group_id, topic, partition, "offset");
CREATE INDEX applied_events_by_delivery ON applied_events (delivery_id);
