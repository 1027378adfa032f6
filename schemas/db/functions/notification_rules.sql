-- The notification rules in force (schemas/db/020_notifications.sql holds the
-- tables). Applied with CREATE OR REPLACE on every start.

-- A branch glob (* any run of characters, ? one) as a LIKE pattern, LIKE's
-- own wildcards and escape taken literally.
CREATE OR REPLACE FUNCTION faultline_glob_to_like(pattern text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT replace(replace(replace(replace(replace(pattern, '\', '\\'), '%', '\%'), '_', '\_'),
                         '*', '%'), '?', '_')
$$;

-- When quiet hours that hold `moment` end, as a moment; NULL when `moment` is outside
-- them (or the rule has none). Local times are read in the IANA zone `zone`,
-- so daylight saving moves them with the clock on the wall. start > end
-- wraps past midnight (22:00-07:00).
CREATE OR REPLACE FUNCTION faultline_quiet_until(quiet_start time, quiet_end time, zone text,
                                                 moment timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN quiet_start IS NULL OR quiet_start = quiet_end THEN NULL
    WHEN quiet_start < quiet_end AND wall::time >= quiet_start AND wall::time < quiet_end
      THEN (wall::date + quiet_end) AT TIME ZONE zone
    WHEN quiet_start > quiet_end AND wall::time >= quiet_start
      THEN (wall::date + 1 + quiet_end) AT TIME ZONE zone
    WHEN quiet_start > quiet_end AND wall::time < quiet_end
      THEN (wall::date + quiet_end) AT TIME ZONE zone
  END
  FROM (SELECT moment AT TIME ZONE zone AS wall) AS l
$$;
