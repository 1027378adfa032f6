-- The W3C trace a change belongs to travels with it: an outbox event carries
-- the traceparent of the work that queued it to the topic, and a GitHub call
-- names the trace it was made for, so one trace id finds a delivery's calls.
ALTER TABLE outbox ADD COLUMN traceparent text, ADD COLUMN tracestate text;
ALTER TABLE github_calls ADD COLUMN trace_id text, ADD COLUMN span_id text;
CREATE INDEX github_calls_by_trace ON github_calls (trace_id) WHERE trace_id IS NOT NULL;

-- The event function takes the trace, and applying runs reports the changes
-- it made (schemas/db/functions/incident_rules.sql defines both again).
DROP FUNCTION faultline_enqueue_incident_event(bigint, text, bigint);
DROP FUNCTION faultline_apply_completed_runs(jsonb);
