-- What dashboards keep in Faultline besides CI state: projects, support
-- tickets, community posts, the status page, CSP reports; and the stored
-- answers behind Idempotency-Key.

CREATE TABLE projects (
  id           bigserial PRIMARY KEY,
  owner_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_by_owner ON projects (owner_id, created_at DESC, id DESC);
CREATE INDEX projects_by_time ON projects (created_at DESC, id DESC);

CREATE TABLE support_tickets (
  id           bigserial PRIMARY KEY,
  owner_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  subject      text NOT NULL,
  body         text NOT NULL,
  status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed')),
  priority     text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  assignee_id  bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_tickets_by_owner ON support_tickets (owner_id, created_at DESC, id DESC);
CREATE INDEX support_tickets_by_time ON support_tickets (created_at DESC, id DESC);

CREATE TABLE community_posts (
  id          bigserial PRIMARY KEY,
  author_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title       text NOT NULL,
  body        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX community_posts_by_time ON community_posts (created_at DESC, id DESC);

CREATE TABLE status_events (
  id          bigserial PRIMARY KEY,
  service     text NOT NULL,
  status      text NOT NULL CHECK (status IN ('operational', 'degraded', 'partial_outage',
                                              'major_outage', 'maintenance')),
  message     text NOT NULL DEFAULT '',
  created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_events_by_service ON status_events (service, created_at DESC, id DESC);
CREATE INDEX status_events_by_time ON status_events (created_at DESC, id DESC);

CREATE TABLE csp_reports (
  id          bigserial PRIMARY KEY,
  report      jsonb NOT NULL,
  user_agent  text,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- One row per (user, endpoint, key): the fingerprint of the first request and,
-- once it finished, the answer to replay. Removed after 24 h by the API.
CREATE TABLE idempotency_keys (
  user_id      bigint NOT NULL,
  endpoint     text NOT NULL,   -- method and path, e.g. "PATCH /api/v1/projects/7"
  key          text NOT NULL,
  fingerprint  text NOT NULL,   -- SHA-256 of the request body
  status       int,             -- NULL while the first request is in flight
  content_type text,
  headers      text,            -- JSON array of [name, value]
  body         text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, endpoint, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

