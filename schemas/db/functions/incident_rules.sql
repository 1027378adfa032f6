-- The incident rules in force: each function's current text, applied with
-- CREATE OR REPLACE after the migrations on every start, under the migration
-- lock (common/migrations.cpp). Change a rule here, not in a new migration;
-- the earlier definitions in 005_incident_functions.sql and
-- 007_faster_processing.sql are history, superseded by this file. A change of
-- signature (arguments, result) still needs a migration that drops the old
-- function first.

-- Queues the event describing incident p_incident as it now stands; run it in
-- the transaction that made the change. The one definition of the
-- ci.incident.v1 payload, used by the incidents role and the API alike.
-- p_traceparent and p_tracestate: the W3C trace of the work that made the
-- change, published with the event. Ids are the provider's own (GitLab's are
-- stored negated, 021_providers.sql), beside `provider`; run_url is the page
-- of the run that made the change, once incident_runs has it.
CREATE OR REPLACE FUNCTION faultline_enqueue_incident_event(
  p_incident bigint, p_type text, p_run bigint, p_traceparent text DEFAULT NULL,
  p_tracestate text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
INSERT INTO outbox (topic, message_key, event_type, traceparent, tracestate, payload)
SELECT 'ci.incident.v1', i.id::text, p_type, NULLIF(p_traceparent, ''), NULLIF(p_tracestate, ''),
  json_build_object(
  'type', p_type,
  'run_id', NULLIF(abs(p_run), 0),
  'run_url', (SELECT x.html_url FROM incident_runs x
               WHERE x.repository_id = i.repository_id AND x.run_id = p_run
               ORDER BY x.run_attempt DESC LIMIT 1),
  'incident', json_build_object(
    'id', i.id, 'provider', r.provider, 'repository_id', abs(i.repository_id),
    'repository', r.full_name,
    'workflow_key', i.workflow_key, 'workflow_name', i.workflow_name, 'branch', i.branch,
    'state', i.state, 'occurrences', i.occurrences,
    'first_failed_run_id', abs(i.first_failed_run_id),
    'last_failed_run_id', abs(i.last_failed_run_id),
    'opened_at', to_char(i.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'acknowledged_at', to_char(i.acknowledged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'resolved_at', to_char(i.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'resolution', i.resolution, 'resolved_by_run_id', abs(i.resolved_by_run_id),
    'signature', i.signature, 'category', i.category))::text
FROM incidents i JOIN repositories r ON r.id = i.repository_id
WHERE i.id = p_incident;
END
$$;

-- Applies completed runs, in the order given, to the incidents of their
-- repository + workflow + branch. Rows: repository_id, repository, run_id,
-- run_attempt, workflow_key, workflow_name, branch, conclusion, failing
-- (true: failure, timed_out, startup_failure; false: success), html_url,
-- created_at, traceparent, tracestate. Each run attempt counts once;
-- redeliveries change nothing. Returns the changes made, in order:
-- [{"n": the row's position from 1, "incident": id, "change": "opened" |
-- "recurred" | "resolved"}].
CREATE OR REPLACE FUNCTION faultline_apply_completed_runs(p_rows jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  r record;
  v_incident bigint;
  v_change text;
  v_changes jsonb := '[]';
BEGIN
  -- Repositories first, in id order, before any key is locked: two consumers
  -- inserting the same new repository then wait for each other at most once.
  INSERT INTO repositories (id, full_name, provider)
  SELECT DISTINCT ON (x.repository_id) x.repository_id,
         COALESCE(NULLIF(x.repository, ''), 'project ' || abs(x.repository_id)),
         faultline_provider(x.repository_id)
    FROM jsonb_to_recordset(p_rows) AS x(repository_id bigint, repository text)
   ORDER BY x.repository_id
  ON CONFLICT (id) DO NOTHING;

  -- Key by key, each key's runs in the order given. Every consumer locks keys
  -- in this one order, so concurrent batches cannot deadlock.
  FOR r IN
    SELECT x.*, a.n FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS a(element, n),
      jsonb_to_record(a.element) AS x(
        repository_id bigint, repository text, run_id bigint, run_attempt int, workflow_key text,
        workflow_name text, branch text, conclusion text, failing boolean, html_url text,
        created_at timestamptz, traceparent text, tracestate text)
    ORDER BY x.repository_id, x.workflow_key, x.branch, a.n
  LOOP
    -- Serializes every change to one key, across all processors.
    PERFORM pg_advisory_xact_lock(hashtextextended(
      r.repository_id::text || '/' || r.workflow_key || '/' || r.branch, 0));
    CONTINUE WHEN EXISTS (SELECT 1 FROM incident_runs WHERE repository_id = r.repository_id
                          AND run_id = r.run_id AND run_attempt = r.run_attempt);

    SELECT id INTO v_incident FROM incidents
     WHERE repository_id = r.repository_id AND workflow_key = r.workflow_key
       AND branch = r.branch AND state <> 'resolved';

    IF r.failing THEN
      -- A failure older than the success that resolved this key is history.
      CONTINUE WHEN r.created_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM incidents WHERE repository_id = r.repository_id
           AND workflow_key = r.workflow_key AND branch = r.branch AND state = 'resolved'
           AND resolved_by_run_created_at > r.created_at);
      IF v_incident IS NULL THEN
        INSERT INTO incidents (repository_id, workflow_key, workflow_name, branch, state,
                               first_failed_run_id, last_failed_run_id, last_failure_created_at,
                               first_failure_created_at)
        VALUES (r.repository_id, r.workflow_key, NULLIF(r.workflow_name, ''), r.branch, 'open',
                r.run_id, r.run_id, r.created_at, r.created_at)
        RETURNING id INTO v_incident;
        v_change := 'opened';
      ELSE
        UPDATE incidents SET occurrences = occurrences + 1, last_failed_run_id = r.run_id,
               last_failure_created_at = GREATEST(last_failure_created_at, r.created_at)
         WHERE id = v_incident;
        v_change := 'recurred';
      END IF;
      -- Before the event, which links the run.
      INSERT INTO incident_runs (repository_id, run_id, run_attempt, incident_id, role, conclusion,
                                 html_url, run_created_at)
      VALUES (r.repository_id, r.run_id, r.run_attempt, v_incident, 'failure', r.conclusion,
              NULLIF(r.html_url, ''), r.created_at);
      PERFORM faultline_enqueue_incident_event(v_incident, v_change, r.run_id, r.traceparent,
                                               r.tracestate);
      v_changes := v_changes || jsonb_build_object('n', r.n, 'incident', v_incident,
                                                   'change', v_change);
    ELSIF v_incident IS NOT NULL THEN
      -- Only a success at least as recent as the last failure resolves. A
      -- later attempt of a run that failed (the same commit) passing is flaky.
      UPDATE incidents SET state = 'resolved', resolved_at = now(),
             resolution = CASE WHEN EXISTS (
               SELECT 1 FROM incident_runs x WHERE x.incident_id = v_incident AND x.role = 'failure'
                  AND x.repository_id = r.repository_id AND x.run_id = r.run_id
                  AND x.run_attempt < r.run_attempt) THEN 'flaky' ELSE 'run_succeeded' END,
             resolved_by_run_id = r.run_id, resolved_by_run_created_at = r.created_at
       WHERE id = v_incident
         AND (last_failure_created_at IS NULL OR r.created_at IS NULL
              OR last_failure_created_at <= r.created_at);
      IF FOUND THEN
        INSERT INTO incident_runs (repository_id, run_id, run_attempt, incident_id, role,
                                   conclusion, html_url, run_created_at)
        VALUES (r.repository_id, r.run_id, r.run_attempt, v_incident, 'resolution', r.conclusion,
                NULLIF(r.html_url, ''), r.created_at);
        PERFORM faultline_enqueue_incident_event(v_incident, 'resolved', r.run_id, r.traceparent,
                                                 r.tracestate);
        v_changes := v_changes || jsonb_build_object('n', r.n, 'incident', v_incident,
                                                     'change', 'resolved');
      END IF;
    END IF;
  END LOOP;
  RETURN v_changes;
END
$$;
