-- 010_close_forgotten_meetings.sql — a meeting nobody ended is closed by
-- the sweep two hours after its booked end.  Before, a meeting the
-- caseworker left without pressing "End meeting" stayed `in_meeting` for
-- ever: it showed as live in the queue, the statistics never counted it
-- and a rejoin link kept working.  Two hours leave room for a meeting that
-- runs over; the caseworker's own "End meeting" afterwards changes nothing
-- (booking_complete only ends what is still in_meeting).  The meeting is
-- taken to have ended at its booked end (nobody knows when it really
-- did).  The audit row says 'complete', as a caseworker's own end does,
-- with no caseworker: the system did it.

BEGIN;

INSERT INTO schema_version (version, name) VALUES (10, '010_close_forgotten_meetings');

CREATE OR REPLACE FUNCTION kb_close_overdue (p_now timestamptz) RETURNS integer
  LANGUAGE plpgsql AS $$
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
END $$;
COMMENT ON FUNCTION kb_close_overdue (timestamptz) IS 'Marks overdue bookings no_show (never checked in) or not_admitted (checked in, never admitted), and completes meetings left in_meeting two hours after their end; returns how many.';

COMMIT;
