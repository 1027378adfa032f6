-- The API keeps analytics answers until a table they read changes
-- (api/change_feed.hpp): every change to one of them notifies the channel
-- faultline_analytics. PostgreSQL sends a transaction's notifications when it
-- commits, once per channel and payload however many rows changed.
CREATE FUNCTION faultline_analytics_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('faultline_analytics', '');
  RETURN NULL;
END
$$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ci_hourly', 'ci_hourly_all', 'job_hourly', 'failure_signature_daily',
                           'failure_signatures', 'job_failures', 'incidents', 'repositories'] LOOP
    -- Row by row, so that a statement changing nothing (the runs role's
    -- touch of known repositories) says nothing.
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I'
                   ' FOR EACH ROW EXECUTE FUNCTION faultline_analytics_changed()',
                   t || '_changed', t);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION faultline_analytics_changed()',
                   t || '_emptied', t);
  END LOOP;
END
$$;
