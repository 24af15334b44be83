-- booked → no_show by the booking's own caseworker.  $1 = booking id,
-- $2 = caseworker id, $3 = now (µs).  Only once the late-entry window has
-- closed with nobody checked in: the same rule the sweep applies, confirmed
-- by hand, never earlier (a no-show can cost a person their benefits).
WITH changed AS (
  UPDATE bookings b
     SET status = 'no_show', status_changed_at = kb_ts($3)
    FROM services s
   WHERE b.id = $1 AND b.caseworker_id = $2 AND b.status = 'booked'
     AND s.id = b.service_id
     AND kb_ts($3) >= lower(b.during) + make_interval(mins => s.join_after_min)
  RETURNING b.id),
audited AS (
  INSERT INTO audit_log (at, caseworker_id, action, booking_id)
  SELECT kb_ts($3), $2, 'no_show', id FROM changed)
SELECT v.*, EXISTS (SELECT 1 FROM changed) AS changed
  FROM booking_view v
 WHERE v.id = $1
