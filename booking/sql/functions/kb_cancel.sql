-- kb_cancel: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 002, 009.
CREATE OR REPLACE FUNCTION public.kb_cancel(p_now timestamp with time zone, p_token_hash bytea, p_booking bigint, p_caseworker bigint, p_reason text)
 RETURNS TABLE(outcome text, booking_id bigint)
 LANGUAGE plpgsql
AS $function$
DECLARE
  b bookings;
  same_office boolean;
BEGIN
  IF p_token_hash IS NOT NULL THEN
    SELECT * INTO b FROM bookings WHERE token_hash = p_token_hash FOR UPDATE;
  ELSE
    SELECT * INTO b FROM bookings WHERE id = p_booking FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found', NULL::bigint;
    RETURN;
  END IF;
  IF p_caseworker IS NOT NULL THEN
    -- A caseworker of the booking's office, or any active administrator.
    SELECT (SELECT office_id FROM caseworkers WHERE id = p_caseworker AND active)
           = (SELECT office_id FROM caseworkers WHERE id = b.caseworker_id)
           OR EXISTS (SELECT 1 FROM caseworkers WHERE id = p_caseworker AND active AND is_admin)
      INTO same_office;
    IF NOT coalesce(same_office, false) THEN
      RETURN QUERY SELECT 'forbidden', b.id;
      RETURN;
    END IF;
    IF b.status NOT IN ('booked', 'waiting') THEN
      RETURN QUERY SELECT 'state', b.id;
      RETURN;
    END IF;
  ELSIF b.status <> 'booked' OR lower(b.during) <= p_now THEN
    RETURN QUERY SELECT 'state', b.id;
    RETURN;
  END IF;
  UPDATE bookings
     SET status = 'cancelled', cancelled_at = p_now, status_changed_at = p_now,
         sequence = sequence + 1, cancel_reason = p_reason, cancelled_by = p_caseworker
   WHERE id = b.id;
  IF p_caseworker IS NOT NULL THEN
    INSERT INTO audit_log (at, caseworker_id, action, booking_id, details)
    VALUES (p_now, p_caseworker, 'cancel', b.id, jsonb_build_object('reason', p_reason));
  END IF;
  RETURN QUERY SELECT 'ok', b.id;
END $function$
;
COMMENT ON FUNCTION kb_cancel(timestamp with time zone,bytea,bigint,bigint,text) IS 'Cancels by link (job seeker) or by id (caseworker of the office or any administrator, audited).';
