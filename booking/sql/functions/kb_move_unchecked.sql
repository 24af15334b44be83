-- kb_move_unchecked: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 011 (renamed from kb_move).
CREATE OR REPLACE FUNCTION public.kb_move_unchecked(p_now timestamp with time zone, p_token_hash bytea, p_start timestamp with time zone)
 RETURNS TABLE(outcome text, booking_id bigint)
 LANGUAGE plpgsql
AS $function$
DECLARE
  b bookings;
BEGIN
  SELECT * INTO b FROM bookings WHERE token_hash = p_token_hash FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found', NULL::bigint;
    RETURN;
  END IF;
  IF b.status <> 'booked' OR lower(b.during) <= p_now THEN
    RETURN QUERY SELECT 'state', b.id;
    RETURN;
  END IF;
  UPDATE bookings
     SET during = tstzrange(p_start, p_start + (upper(b.during) - lower(b.during))),
         moved_at = p_now, sequence = sequence + 1
   WHERE id = b.id;
  RETURN QUERY SELECT 'ok', b.id;
END $function$
;
COMMENT ON FUNCTION kb_move_unchecked(timestamp with time zone,bytea,timestamp with time zone) IS 'Moves a booking by link to a new start; rules and overlaps checked by the database.';
