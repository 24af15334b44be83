-- kb_move: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 002, 011.
CREATE OR REPLACE FUNCTION public.kb_move(p_now timestamp with time zone, p_token_hash bytea, p_start timestamp with time zone)
 RETURNS TABLE(outcome text, booking_id bigint)
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_office bigint;
  v_service bigint;
BEGIN
  SELECT c.office_id, b.service_id INTO v_office, v_service
    FROM bookings b JOIN caseworkers c ON c.id = b.caseworker_id
   WHERE b.token_hash = p_token_hash AND b.status = 'booked' AND lower(b.during) > p_now;
  IF FOUND AND kb_off_grid(v_office, v_service, p_start) THEN
    RAISE EXCEPTION 'not one of the offered times' USING ERRCODE = 'check_violation', DETAIL = 'not_a_slot';
  END IF;
  RETURN QUERY SELECT * FROM kb_move_unchecked(p_now, p_token_hash, p_start);
END $function$
;
COMMENT ON FUNCTION kb_move(timestamp with time zone,bytea,timestamp with time zone) IS 'Moves a booking by link to a new offered start (not_a_slot otherwise; kb_move_unchecked).';
