-- Fix proposals: a draft pull request for a failing run, written by a
-- language model (processors/fix/). Opt-in per repository; administrators set it.
ALTER TABLE repositories
  ADD COLUMN fix_proposals text NOT NULL DEFAULT 'off'
    CHECK (fix_proposals IN ('off', 'on_demand', 'automatic'));

-- One row per proposal. `attempt` is n in the branch faultline/fix-<incident>-<n>:
-- an incident gets attempt 1 when it opens in an `automatic` repository, and
-- one more each time someone asks. The branch is named before anything is
-- made, so a crash finds what it made instead of making it again.
CREATE TABLE fix_proposals (
  id               bigserial   PRIMARY KEY,
  incident_id      bigint      NOT NULL REFERENCES incidents (id),
  repository_id    bigint      NOT NULL REFERENCES repositories (id),
  attempt          int         NOT NULL CHECK (attempt >= 1),
  branch           text        NOT NULL,
  state            text        NOT NULL DEFAULT 'requested'
    CHECK (state IN ('requested', 'model_failed', 'rejected', 'opened', 'merged', 'closed')),
  -- Why it was rejected or the model failed: not-a-diff, does-not-apply,
  -- too-large, forbidden-path; timeout, rate-limited, model-error, unreachable.
  reason           text,
  detail           text,
  requested_by     text        NOT NULL,  -- 'automatic', or 'user:<id>'
  run_id           bigint      NOT NULL,  -- the failing run it answers
  base_sha         text,                  -- the failing commit
  model_reason     text,                  -- the model's own explanation, bounded
  -- The diff that passed validation, kept before anything is made at GitHub:
  -- a worker that takes over after a crash makes the same commit, not a new
  -- answer's.
  diff             text,
  patched          jsonb,                 -- and the files' new text it gives: path -> text
  files            jsonb       NOT NULL DEFAULT '[]',  -- paths the diff changes
  commit_sha       text,
  pull_number      bigint,
  pull_url         text,
  issue_commented  boolean     NOT NULL DEFAULT false,
  model_calls      int         NOT NULL DEFAULT 0,
  -- When a worker may take it next: now for new work, later after a
  -- failure, a lease ahead while one works on it.
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  opened_at        timestamptz,
  merged_at        timestamptz,
  closed_at        timestamptz,
  UNIQUE (incident_id, attempt),
  UNIQUE (repository_id, branch)
);
CREATE INDEX fix_proposals_due ON fix_proposals (next_attempt_at)
  WHERE state = 'requested' OR (state = 'opened' AND NOT issue_commented);
CREATE INDEX fix_proposals_by_repository ON fix_proposals (repository_id, created_at DESC);
CREATE INDEX fix_proposals_by_state ON fix_proposals (state, created_at DESC);

-- Every call to the model: what it cost and what came back. The prompt and
-- answer are kept for audit, each at most 64 KiB; the API key never is.
CREATE TABLE fix_model_calls (
  id                 bigserial   PRIMARY KEY,
  proposal_id        bigint      NOT NULL REFERENCES fix_proposals (id),
  repository_id      bigint      NOT NULL,
  called_at          timestamptz NOT NULL DEFAULT now(),
  status             int,                   -- HTTP status; null when none came
  outcome            text        NOT NULL,  -- answered, timeout, unreachable, rate-limited, model-error, not-a-diff
  latency_ms         int         NOT NULL,
  prompt_tokens      int,
  completion_tokens  int,
  prompt_bytes       int         NOT NULL,
  answer_bytes       int         NOT NULL,
  prompt             text        NOT NULL,
  answer             text        NOT NULL
);
CREATE INDEX fix_model_calls_by_proposal ON fix_model_calls (proposal_id, called_at);
CREATE INDEX fix_model_calls_by_repository ON fix_model_calls (repository_id, called_at);
