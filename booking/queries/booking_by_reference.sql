-- A booking by its human reference, with the kiosk code hash to verify.
-- $1 = reference (any case).
SELECT v.*, b.kiosk_code_hash
  FROM booking_view v JOIN bookings b ON b.id = v.id
 WHERE v.reference = upper($1::text)
