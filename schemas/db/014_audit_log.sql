-- The audit log (issue 21): one row per authentication decision,
-- administrative action and access-control refusal, hash-chained.
--
-- Each row's hash is SHA-256 of its canonical encoding followed by the
-- previous row's hash (README, Audit log); ids are handed out under the lock
-- on audit_chain_head, so they follow the chain without gaps and a missing
-- row shows as a missing id. Text columns are '' rather than NULL when there
-- is nothing to say, so the encoding has one form for "nothing".

CREATE TABLE audit_log (
  id             bigint PRIMARY KEY,
  at             timestamptz NOT NULL,             -- microseconds, UTC in the hash
  actor          text NOT NULL,                    -- a user id, 'anonymous' or 'system'
  source_address text NOT NULL DEFAULT '',
  user_agent     text NOT NULL DEFAULT '',         -- printable ASCII, at most 512 bytes
  session_hash   text NOT NULL DEFAULT '',         -- SHA-256 hex of the session id
  action         text NOT NULL,                    -- the vocabulary in api/audit/audit_record.hpp
  target         text NOT NULL DEFAULT '',
  outcome        text NOT NULL CHECK (outcome IN ('success', 'failure')),
  reason         text NOT NULL DEFAULT '',
  request_id     text NOT NULL DEFAULT '',
  previous_hash  text NOT NULL,
  hash           text NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_target ON audit_log (target, id);

-- The end of the chain: the last row's id and hash. Every append locks this
-- one row (FOR UPDATE) in the transaction of the action it records, so
-- appends take turns and an action commits together with its row. Verify
-- compares it with the last row, so rows cut off the end are noticed too.
CREATE TABLE audit_chain_head (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id    bigint NOT NULL,
  last_hash  text NOT NULL
);
INSERT INTO audit_chain_head (last_id, last_hash) VALUES (0, repeat('0', 64));

-- Where the chain starts after pruning: the id and hash of the last row
-- pruned (the first row kept names that hash as its previous one).
CREATE TABLE audit_chain_anchor (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id      bigint NOT NULL,
  last_hash    text NOT NULL,
  pruned_rows  bigint NOT NULL DEFAULT 0,
  pruned_at    timestamptz
);
INSERT INTO audit_chain_anchor (last_id, last_hash) VALUES (0, repeat('0', 64));
