-- Optional TOTP two-factor sign-in (issue 21): a user's enrolment, its
-- recovery codes, and the short-lived challenges a password login hands out
-- when the account asks for a second factor.

-- One per user. The secret is sealed with FAULTLINE_ENCRYPTION_KEY
-- (SecretBox, like GitHub tokens; `faultline-api reseal` covers it). Until
-- confirmed_at is set the enrolment is pending and sign-in does not ask for
-- it. last_used_step is the last 30-second step whose code was accepted: a
-- code is accepted only for a later step, so never twice.
CREATE TABLE two_factor (
  user_id            bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_ciphertext  text NOT NULL,
  confirmed_at       timestamptz,
  last_used_step     bigint NOT NULL DEFAULT -1,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- Ten per enrolment, shown once; only SHA-256 of "<user id>:<code>" is kept.
CREATE TABLE two_factor_recovery_codes (
  user_id    bigint NOT NULL REFERENCES two_factor (user_id) ON DELETE CASCADE,
  code_hash  text NOT NULL,
  used_at    timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- A password accepted, a second factor awaited: single-use, short-lived,
-- only the SHA-256 of the challenge kept.
CREATE TABLE two_factor_challenges (
  challenge_hash  text PRIMARY KEY,
  user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  used_at         timestamptz
);
CREATE INDEX two_factor_challenges_by_expiry ON two_factor_challenges (expires_at);
