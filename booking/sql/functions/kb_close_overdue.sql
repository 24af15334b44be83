-- kb_close_overdue: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 002, 010.
CREATE OR REPLACE FUNCTION public.kb_close_overdue(p_now timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
DECLARE
  n integer;
BEGIN
  WITH closed AS (
    UPDATE bookings b
       SET status = CASE b.status WHEN 'booked' THEN 'no_show'::booking_status
                                  WHEN 'waiting' THEN 'not_admitted'::booking_status
                                  ELSE 'completed'::booking_status END,
           ended_at = CASE WHEN b.status = 'in_meeting' THEN upper(b.during) ELSE p_now END,
           status_changed_at = p_now
      FROM services s
     WHERE s.id = b.service_id
       AND ((b.status = 'booked'
             AND lower(b.during) + make_interval(mins => s.join_after_min) < p_now)
            OR (b.status = 'waiting' AND upper(b.during) <= p_now)
            OR (b.status = 'in_meeting' AND upper(b.during) + interval '2 hours' <= p_now))
    RETURNING b.id, b.status)
  INSERT INTO audit_log (at, caseworker_id, action, booking_id)
  SELECT p_now, NULL,
         CASE closed.status WHEN 'completed' THEN 'complete' ELSE closed.status::text END,
         closed.id
    FROM closed;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $function$
;
COMMENT ON FUNCTION kb_close_overdue(timestamp with time zone) IS 'Marks overdue bookings no_show (never checked in) or not_admitted (checked in, never admitted), and completes meetings left in_meeting two hours after their end; returns how many.';
