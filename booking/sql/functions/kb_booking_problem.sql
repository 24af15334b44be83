-- kb_booking_problem: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 002.
CREATE OR REPLACE FUNCTION public.kb_booking_problem(p_caseworker bigint, p_service bigint, p_during tstzrange, p_now timestamp with time zone)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
  s services;
  c caseworkers;
  tz text;
BEGIN
  SELECT * INTO s FROM services WHERE id = p_service;
  SELECT * INTO c FROM caseworkers WHERE id = p_caseworker;
  SELECT time_zone INTO tz FROM offices WHERE id = c.office_id;
  IF NOT c.active THEN
    RETURN 'caseworker_inactive';
  END IF;
  IF upper(p_during) - lower(p_during) <> make_interval(mins => s.duration_min) THEN
    RETURN 'duration';
  END IF;
  IF lower(p_during) < p_now + make_interval(mins => s.notice_min) THEN
    RETURN 'notice';
  END IF;
  IF lower(p_during) > p_now + make_interval(days => s.horizon_days) THEN
    RETURN 'horizon';
  END IF;
  IF NOT kb_office_open(c.office_id,
                        (lower(p_during) AT TIME ZONE tz)::date - 1,
                        (upper(p_during) AT TIME ZONE tz)::date + 1) @> p_during THEN
    RETURN 'outside_hours';
  END IF;
  IF EXISTS (SELECT 1 FROM absences a
              WHERE a.caseworker_id = p_caseworker AND a.during && p_during) THEN
    RETURN 'absent';
  END IF;
  RETURN NULL;
END $function$
;
COMMENT ON FUNCTION kb_booking_problem(bigint,bigint,tstzrange,timestamp with time zone) IS 'The rule a booking would break (caseworker_inactive, duration, notice, horizon, outside_hours, absent) or NULL.';
