-- in_meeting → completed by the booking's own caseworker, acting through
-- a live session.  $1 = booking id, $2 = SHA-256 of the session secret,
-- $3 = now (µs).  Same shape as booking_admit, audited too.
WITH actor AS (
  SELECT c.id
    FROM sessions s JOIN caseworkers c ON c.id = s.caseworker_id
   WHERE s.token_hash = $2 AND s.expires_at > kb_ts($3) AND c.active),
changed AS (
  UPDATE bookings
     SET status = 'completed', ended_at = kb_ts($3), status_changed_at = kb_ts($3)
   WHERE id = $1 AND caseworker_id = (SELECT id FROM actor) AND status = 'in_meeting'
  RETURNING id),
audited AS (
  INSERT INTO audit_log (at, caseworker_id, action, booking_id)
  SELECT kb_ts($3), (SELECT id FROM actor), 'complete', id FROM changed)
SELECT (SELECT id FROM actor) AS actor_id, v.*, EXISTS (SELECT 1 FROM changed) AS changed
  FROM (VALUES (1)) AS one
  LEFT JOIN booking_view v ON v.id = $1
