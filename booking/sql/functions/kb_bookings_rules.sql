-- kb_bookings_rules: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 002.
CREATE OR REPLACE FUNCTION public.kb_bookings_rules()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  problem text;
  buffer integer;
  cap integer;
  live integer;
BEGIN
  SELECT buffer_min INTO buffer FROM services WHERE id = NEW.service_id;
  NEW.blocked := tstzrange(lower(NEW.during), upper(NEW.during) + make_interval(mins => buffer));
  problem := kb_booking_problem(NEW.caseworker_id, NEW.service_id, NEW.during,
                                coalesce(NEW.moved_at, NEW.created_at));
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'booking refused: %', problem
      USING ERRCODE = 'check_violation', DETAIL = problem;
  END IF;
  -- (generated columns are not computed yet in a BEFORE trigger)
  IF TG_OP = 'INSERT' AND kb_normalise_contact(NEW.seeker_contact) <> '' THEN
    SELECT value::integer INTO cap FROM settings WHERE key = 'max_live_bookings_per_contact';
    SELECT count(*) INTO live FROM bookings
     WHERE seeker_contact_norm = kb_normalise_contact(NEW.seeker_contact)
       AND status IN ('booked', 'waiting') AND upper(during) > NEW.created_at;
    IF live >= coalesce(cap, 3) THEN
      RAISE EXCEPTION 'booking refused: too many live bookings for this contact'
        USING ERRCODE = 'check_violation', DETAIL = 'contact_cap';
    END IF;
  END IF;
  RETURN NEW;
END $function$
;
COMMENT ON FUNCTION kb_bookings_rules() IS 'Trigger: derives blocked and refuses a booking outside opening hours, on a closure, during an absence, against notice or horizon, or over the per-contact cap.';
