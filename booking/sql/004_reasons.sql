-- 004_reasons.sql — machine reasons for refusals that 001 and 003 raised
-- without one: an unknown time zone says 'time_zone', and the admin
-- functions' date/hours checks say 'date' / 'hours' (they already do);
-- refusals then reach the HTTP layer as stable codes (booking/pool.c puts
-- DETAIL in front of the message, kb_error_reason() reads it).

BEGIN;

INSERT INTO schema_version (version, name) VALUES (4, '004_reasons');

CREATE OR REPLACE FUNCTION kb_offices_check_zone () RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF NOT kb_valid_time_zone(NEW.time_zone) THEN
    RAISE EXCEPTION 'unknown time zone "%"', NEW.time_zone
      USING ERRCODE = 'check_violation', DETAIL = 'time_zone',
            HINT = 'Use an IANA name such as Europe/Oslo.';
  END IF;
  RETURN NEW;
END $$;

COMMIT;
