-- Incidents: one per repository + workflow + branch while it is failing, and
-- the transactional outbox that tells other systems about them.

CREATE TABLE incidents (
  id                          bigserial PRIMARY KEY,
  repository_id               bigint NOT NULL REFERENCES repositories (id),
  workflow_key                text   NOT NULL,  -- GitHub's workflow id, or its name when absent
  workflow_name               text,
  branch                      text   NOT NULL,
  state                       text   NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
  occurrences                 int    NOT NULL DEFAULT 1,
  first_failed_run_id         bigint NOT NULL,
  last_failed_run_id          bigint NOT NULL,
  last_failure_created_at     timestamptz,
  opened_at                   timestamptz NOT NULL DEFAULT now(),
  acknowledged_at             timestamptz,
  resolved_at                 timestamptz,
  resolution                  text CHECK (resolution IN ('run_succeeded', 'manual')),
  resolved_by_run_id          bigint,
  resolved_by_run_created_at  timestamptz
);
-- At most one unresolved incident per key: the database settles races.
CREATE UNIQUE INDEX incidents_one_open_per_key
  ON incidents (repository_id, workflow_key, branch) WHERE state <> 'resolved';
CREATE INDEX incidents_by_state ON incidents (state, opened_at DESC);
CREATE INDEX incidents_by_repository ON incidents (repository_id, opened_at DESC);

-- Every run attempt that changed an incident, once: a redelivered or
-- replayed event finds its run here and changes nothing.
CREATE TABLE incident_runs (
  repository_id  bigint NOT NULL,
  run_id         bigint NOT NULL,
  run_attempt    int    NOT NULL,
  incident_id    bigint NOT NULL REFERENCES incidents (id),
  role           text   NOT NULL CHECK (role IN ('failure', 'resolution')),
  conclusion     text   NOT NULL,
  html_url       text,
  run_created_at timestamptz,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, run_id, run_attempt)
);
CREATE INDEX incident_runs_by_incident ON incident_runs (incident_id, recorded_at);

-- Events waiting to be published; written in the same transaction as the
-- change they describe, published by the relay, then marked.
CREATE TABLE outbox (
  id            bigserial PRIMARY KEY,
  topic         text NOT NULL,
  message_key   text NOT NULL,
  event_type    text NOT NULL,
  payload       text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
