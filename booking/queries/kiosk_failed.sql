-- A wrong kiosk code was typed with this booking's reference.  $1 =
-- booking id, $2 = now (µs).  The tenth wrong one locks the code
-- (migration 013) and says so in the audit log, as the system (no actor),
-- for the caseworker and for whoever reads the log later.
WITH counted AS (
  UPDATE bookings
     SET kiosk_failures = kiosk_failures + 1,
         kiosk_locked_at = CASE WHEN kiosk_failures + 1 >= 10
                                THEN coalesce(kiosk_locked_at, kb_ts($2)) END
   WHERE id = $1 AND kiosk_locked_at IS NULL
  RETURNING id, kiosk_failures, kiosk_locked_at),
audited AS (
  INSERT INTO audit_log (at, caseworker_id, action, booking_id, details)
  SELECT kb_ts($2), NULL, 'kiosk_locked', id, jsonb_build_object('wrong_codes', kiosk_failures)
    FROM counted WHERE kiosk_locked_at IS NOT NULL)
SELECT kiosk_failures, kiosk_locked_at IS NOT NULL AS locked FROM counted
