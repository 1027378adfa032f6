-- Accounts, the sessions a login opens, their refresh tokens, and the
-- counters behind the rate limits (here, so every API process shares them).

CREATE TABLE users (
  id             bigserial PRIMARY KEY,
  email          text NOT NULL UNIQUE,   -- normalized: trimmed, lower-cased
  password_hash  text NOT NULL,          -- Argon2id PHC string
  role           text NOT NULL CHECK (role IN ('user', 'admin')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  user_agent      text,
  ip              text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  revoked_at      timestamptz,
  revoked_reason  text
);
CREATE INDEX sessions_by_user ON sessions (user_id, created_at DESC);

-- Every refresh token a session was ever given. Only the SHA-256 of a token is
-- kept; a retired one stays so that presenting it again can be recognised.
CREATE TABLE refresh_tokens (
  token_hash  text PRIMARY KEY,
  session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  issued_at   timestamptz NOT NULL DEFAULT now(),
  retired_at  timestamptz
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- Fixed windows: one row per (policy, client or account).
CREATE TABLE rate_limit_windows (
  bucket          text PRIMARY KEY,
  window_start    timestamptz NOT NULL,
  window_seconds  int NOT NULL,
  hits            int NOT NULL
);
