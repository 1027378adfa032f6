-- Notifications: channels people are told through (Slack, signed webhooks,
-- PagerDuty), the rules that say which incident changes go where, and one
-- delivery per channel and incident change with every attempt to send it.

-- What is secret about a channel is sealed (SecretBox, like GitHub tokens)
-- and never returned: Slack's incoming-webhook URL, the webhook's whsec_
-- secrets (comma-separated while rotating), PagerDuty's routing key. `url` is
-- the endpoint of a webhook or PagerDuty channel; a Slack channel has none
-- outside its sealed secret.
CREATE TABLE notification_channels (
  id                 bigserial PRIMARY KEY,
  kind               text NOT NULL CHECK (kind IN ('slack', 'webhook', 'pagerduty')),
  name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  url                text,
  secret_ciphertext  text NOT NULL,
  enabled            boolean NOT NULL DEFAULT true,
  -- Set when a receiver answered that it is gone (410; Slack's 403/404/410).
  disabled_at        timestamptz,
  disabled_reason    text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Which changes a channel gets. An incident change matches a rule when every
-- filter given matches (a NULL filter matches anything); a channel with
-- several matching rules still gets one delivery per change.
CREATE TABLE notification_rules (
  id               bigserial PRIMARY KEY,
  channel_id       bigint NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
  changes          text[] NOT NULL CHECK (cardinality(changes) > 0 AND
                     changes <@ ARRAY['opened', 'recurred', 'acknowledged', 'resolved']),
  repository       text,  -- owner/name, compared without case
  branch_pattern   text,  -- a glob: * any run of characters, ? one
  category         text,  -- a failure category; only events that carry one match
  -- "recurred" only once the incident has failed this many times in a row.
  recurred_after   int NOT NULL DEFAULT 1 CHECK (recurred_after BETWEEN 1 AND 1000),
  -- Quiet hours, local time in an IANA zone: changes are held until they end
  -- (start = end: none). An interval that crosses midnight wraps.
  quiet_start      time,
  quiet_end        time,
  quiet_time_zone  text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((quiet_start IS NULL) = (quiet_end IS NULL) AND (quiet_start IS NULL) = (quiet_time_zone IS NULL))
);
CREATE INDEX notification_rules_by_channel ON notification_rules (channel_id);

-- One row per channel and incident change (`change_id`, the event's ce_id,
-- which the outbox keeps for every publication of the change): the unique key
-- is what makes "at most one message per change and channel" hold however
-- often the event is read. The notifier writes these rows in the transaction
-- that moves its offsets; the sender then delivers them.
CREATE TABLE notification_deliveries (
  id               bigserial PRIMARY KEY,
  channel_id       bigint NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
  incident_id      bigint NOT NULL,
  change_id        text NOT NULL,
  change           text NOT NULL,
  event            text NOT NULL,  -- the ci.incident.v1 value as it was read
  -- pending: to send at next_attempt_at; held: quiet hours until next_attempt_at;
  -- sent; failed: given up (the receiver refused it for good, or retries ran out).
  status           text NOT NULL CHECK (status IN ('pending', 'held', 'sent', 'failed')),
  attempts         int NOT NULL DEFAULT 0,
  -- Attempts that failed other than by a rate limit: what gives up in the end.
  failures         int NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  last_status      int,
  last_error       text,
  latency_seconds  float8,  -- of the last attempt
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz,
  UNIQUE (channel_id, change_id)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
  WHERE status IN ('pending', 'held');
CREATE INDEX notification_deliveries_by_incident ON notification_deliveries (incident_id, id);

-- Every attempt, as the receiver answered it (never the secret or the URL).
CREATE TABLE notification_attempts (
  id               bigserial PRIMARY KEY,
  delivery_id      bigint NOT NULL REFERENCES notification_deliveries (id) ON DELETE CASCADE,
  attempt          int NOT NULL,
  at               timestamptz NOT NULL DEFAULT now(),
  outcome          text NOT NULL CHECK (outcome IN ('sent', 'retry', 'rate_limited', 'refused', 'gone',
                                                    'blocked', 'unreachable')),
  http_status      int,
  latency_seconds  float8 NOT NULL,
  error            text
);
CREATE INDEX notification_attempts_by_delivery ON notification_attempts (delivery_id, attempt);
