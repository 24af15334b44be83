-- kb_offices_check_zone: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 001, 004.
CREATE OR REPLACE FUNCTION public.kb_offices_check_zone()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF NOT kb_valid_time_zone(NEW.time_zone) THEN
    RAISE EXCEPTION 'unknown time zone "%"', NEW.time_zone
      USING ERRCODE = 'check_violation', DETAIL = 'time_zone',
            HINT = 'Use an IANA name such as Europe/Oslo.';
  END IF;
  RETURN NEW;
END $function$
;
COMMENT ON FUNCTION kb_offices_check_zone() IS 'Trigger: refuses an office whose time zone is not an IANA name PostgreSQL knows.';
