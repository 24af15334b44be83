-- in_meeting → completed by the booking's own caseworker.  $1 = booking id,
-- $2 = caseworker id, $3 = now (µs).  Same shape as booking_admit, audited too.
WITH changed AS (
  UPDATE bookings
     SET status = 'completed', ended_at = kb_ts($3), status_changed_at = kb_ts($3)
   WHERE id = $1 AND caseworker_id = $2 AND status = 'in_meeting'
  RETURNING id),
audited AS (
  INSERT INTO audit_log (at, caseworker_id, action, booking_id)
  SELECT kb_ts($3), $2, 'complete', id FROM changed)
SELECT v.*, EXISTS (SELECT 1 FROM changed) AS changed
  FROM booking_view v
 WHERE v.id = $1
