-- waiting → in_meeting by the booking's own caseworker.  $1 = booking id,
-- $2 = caseworker id, $3 = now (µs).  Returns the booking as it was before
-- (a WITH sub-statement's change is invisible to the outer SELECT) and
-- whether it changed; the caller tells not-found, forbidden and wrong
-- state apart.  The transition is audited.
WITH changed AS (
  UPDATE bookings
     SET status = 'in_meeting', admitted_at = kb_ts($3), status_changed_at = kb_ts($3)
   WHERE id = $1 AND caseworker_id = $2 AND status = 'waiting'
  RETURNING id),
audited AS (
  INSERT INTO audit_log (at, caseworker_id, action, booking_id)
  SELECT kb_ts($3), $2, 'admit', id FROM changed)
SELECT v.*, EXISTS (SELECT 1 FROM changed) AS changed
  FROM booking_view v
 WHERE v.id = $1
