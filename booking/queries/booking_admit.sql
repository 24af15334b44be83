-- waiting → in_meeting by the booking's own caseworker, acting through a
-- live session.  $1 = booking id, $2 = SHA-256 of the session secret,
-- $3 = now (µs).  Always one row: actor_id is NULL when the session is
-- dead or its caseworker deactivated (then nothing changes), the booking's
-- columns are NULL when there is no such booking.  The booking is as it
-- was before (a WITH sub-statement's change is invisible to the outer
-- SELECT), with whether it changed; the caller tells the cases apart.
-- The transition is audited.
WITH actor AS (
  SELECT c.id
    FROM sessions s JOIN caseworkers c ON c.id = s.caseworker_id
   WHERE s.token_hash = $2 AND s.expires_at > kb_ts($3) AND c.active),
changed AS (
  UPDATE bookings
     SET status = 'in_meeting', admitted_at = kb_ts($3), status_changed_at = kb_ts($3)
   WHERE id = $1 AND caseworker_id = (SELECT id FROM actor) AND status = 'waiting'
  RETURNING id),
audited AS (
  INSERT INTO audit_log (at, caseworker_id, action, booking_id)
  SELECT kb_ts($3), (SELECT id FROM actor), 'admit', id FROM changed)
SELECT (SELECT id FROM actor) AS actor_id, v.*, EXISTS (SELECT 1 FROM changed) AS changed
  FROM (VALUES (1)) AS one
  LEFT JOIN booking_view v ON v.id = $1
