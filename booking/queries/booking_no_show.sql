-- booked → no_show by the booking's own caseworker, acting through a live
-- session.  $1 = booking id, $2 = SHA-256 of the session secret, $3 = now
-- (µs).  Only once the late-entry window has closed with nobody checked
-- in: the same rule the sweep applies, confirmed by hand, never earlier (a
-- no-show can cost a person their benefits).  Same shape as booking_admit.
WITH actor AS (
  SELECT c.id
    FROM sessions s JOIN caseworkers c ON c.id = s.caseworker_id
   WHERE s.token_hash = $2 AND s.expires_at > kb_ts($3) AND c.active),
changed AS (
  UPDATE bookings b
     SET status = 'no_show', status_changed_at = kb_ts($3)
    FROM services s
   WHERE b.id = $1 AND b.caseworker_id = (SELECT id FROM actor) AND b.status = 'booked'
     AND s.id = b.service_id
     AND kb_ts($3) >= lower(b.during) + make_interval(mins => s.join_after_min)
  RETURNING b.id),
audited AS (
  INSERT INTO audit_log (at, caseworker_id, action, booking_id)
  SELECT kb_ts($3), (SELECT id FROM actor), 'no_show', id FROM changed)
SELECT (SELECT id FROM actor) AS actor_id, v.*, EXISTS (SELECT 1 FROM changed) AS changed
  FROM (VALUES (1)) AS one
  LEFT JOIN booking_view v ON v.id = $1
