-- Connecting GitHub: a user's OAuth connection, the repositories whose token
-- comes from it, and what was learnt from a failed run's logs.

-- The `state` of an OAuth authorization in flight: single use, bound to the
-- user who asked, short-lived. Only its hash is kept.
CREATE TABLE oauth_states (
  state_hash  text PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider    text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX oauth_states_by_expiry ON oauth_states (expires_at);

CREATE TABLE oauth_connections (
  user_id           bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider          text NOT NULL CHECK (provider IN ('github')),
  account_id        bigint NOT NULL,  -- the GitHub user's id
  account_login     text NOT NULL,
  scopes            text NOT NULL DEFAULT '',
  token_ciphertext  text NOT NULL,    -- SecretBox: "<key id>.<AES-256-GCM, base64>"
  connected_at      timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, provider)
);

-- A repository connected through a user's GitHub connection uses that
-- connection's token; forgetting the connection clears token_user_id.
ALTER TABLE repositories
  ADD COLUMN token_user_id bigint REFERENCES users (id) ON DELETE SET NULL;

-- Where each repository's token comes from: its own, its connection's, or
-- (neither) FAULTLINE_GITHUB_TOKEN. The one place that rule is written.
CREATE VIEW repository_tokens AS
  SELECT r.id AS repository_id,
         COALESCE(r.token_ciphertext, c.token_ciphertext) AS token_ciphertext,
         CASE WHEN r.token_ciphertext IS NOT NULL THEN 'repository'
              WHEN c.token_ciphertext IS NOT NULL THEN 'connection' END AS source
    FROM repositories r
    LEFT JOIN oauth_connections c ON c.user_id = r.token_user_id AND c.provider = 'github';

-- The failing step and error lines of a failed run, from its jobs' logs.
CREATE TABLE incident_failure_contexts (
  incident_id  bigint PRIMARY KEY REFERENCES incidents (id),
  run_id       bigint NOT NULL,
  context      jsonb NOT NULL,  -- {run_id, jobs: [{id, name, step, lines, truncated, html_url}]}
  fetched_at   timestamptz NOT NULL DEFAULT now()
);

-- Only a hook Faultline created is deleted when the repository is disconnected;
-- a hook_id typed in by hand names a hook someone else owns.
ALTER TABLE repositories ADD COLUMN hook_managed boolean NOT NULL DEFAULT false;
