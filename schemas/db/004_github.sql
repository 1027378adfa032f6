-- What Faultline does on GitHub: per-repository settings, the issue of each
-- incident, every call made, and the reconciler's audit trail.

-- Repositories are tracked as soon as a webhook names them; settings default on.
ALTER TABLE repositories
  ADD COLUMN connected         boolean NOT NULL DEFAULT false,
  ADD COLUMN open_issues       boolean NOT NULL DEFAULT true,
  ADD COLUMN reconcile         boolean NOT NULL DEFAULT true,
  ADD COLUMN hook_id           bigint,
  ADD COLUMN token_ciphertext  text,     -- AES-256-GCM under FAULTLINE_ENCRYPTION_KEY, base64
  ADD COLUMN updated_at        timestamptz NOT NULL DEFAULT now();

CREATE TABLE incident_issues (
  incident_id   bigint PRIMARY KEY REFERENCES incidents (id),
  repository_id bigint NOT NULL,
  issue_number  bigint NOT NULL,
  html_url      text,
  closed        boolean NOT NULL DEFAULT false,
  linked_at     timestamptz NOT NULL DEFAULT now()
);

-- Written outside the caller's transaction, so a call is on record even when
-- the work around it rolls back.
CREATE TABLE github_calls (
  id             bigserial PRIMARY KEY,
  incident_id    bigint,
  repository_id  bigint,
  purpose        text NOT NULL,
  method         text NOT NULL,
  path           text NOT NULL,
  status         int  NOT NULL,   -- 0: no HTTP answer (see error)
  response_body  text,
  error          text,
  duration_ms    double precision NOT NULL,
  attempt        int  NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX github_calls_by_incident ON github_calls (incident_id, id);

CREATE TABLE reconciliations (
  id                      bigserial PRIMARY KEY,
  started_at              timestamptz NOT NULL,
  finished_at             timestamptz,
  window_start            timestamptz NOT NULL,
  repositories_inspected  int NOT NULL DEFAULT 0,
  runs_inspected          int NOT NULL DEFAULT 0,
  runs_missing            int NOT NULL DEFAULT 0,
  redeliveries_requested  int NOT NULL DEFAULT 0,
  -- The runs it published; the incidents and issues they led to are joined from here.
  published_runs          bigint[] NOT NULL DEFAULT '{}',
  errors                  text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX reconciliations_by_time ON reconciliations (started_at DESC);

-- Failed deliveries the reconciler asked GitHub to send again: once each.
CREATE TABLE redelivery_requests (
  guid           text PRIMARY KEY,
  repository_id  bigint NOT NULL,
  delivery_id    bigint NOT NULL,
  requested_at   timestamptz NOT NULL DEFAULT now()
);
