-- A caseworker gives out a new kiosk code: the old one stops working, the
-- count of wrong ones starts again and a lock ends.  $1 = booking id, $2 =
-- the caseworker acting (of the booking's office, or an administrator;
-- active), $3 = argon2id hash of the new code, $4 = now (µs).  Only while
-- booked or waiting.  Audited.  Always one row: visible tells whether the
-- booking exists for this caseworker at all (another office's reads as
-- none), changed whether the code was replaced, owner_id whose queue
-- shows the booking.
WITH me AS (
  SELECT id, office_id, is_admin FROM caseworkers WHERE id = $2 AND active),
target AS (
  SELECT b.id, b.status, b.caseworker_id
    FROM bookings b JOIN caseworkers owner ON owner.id = b.caseworker_id, me
   WHERE b.id = $1 AND (me.is_admin OR me.office_id = owner.office_id)),
changed AS (
  UPDATE bookings b
     SET kiosk_code_hash = $3, kiosk_failures = 0, kiosk_locked_at = NULL
    FROM target t
   WHERE b.id = t.id AND t.status IN ('booked', 'waiting')
  RETURNING b.id),
audited AS (
  INSERT INTO audit_log (at, caseworker_id, action, booking_id)
  SELECT kb_ts($4), $2, 'kiosk_code', id FROM changed)
SELECT EXISTS (SELECT 1 FROM target) AS visible, EXISTS (SELECT 1 FROM changed) AS changed,
       (SELECT caseworker_id FROM target) AS owner_id
