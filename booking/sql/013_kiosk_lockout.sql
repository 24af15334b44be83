-- 013_kiosk_lockout.sql — a booking's kiosk code locks after ten wrong
-- tries (issue 14).  Six digits are a million codes: a limit per address
-- and per reference slows guessing, and this one ends it for the booking
-- whatever the addresses.  The personal link still works; the caseworker
-- sees the lock in the queue and can give out a new code, which unlocks.

BEGIN;
INSERT INTO schema_version (version, name) VALUES (13, '013_kiosk_lockout');

ALTER TABLE bookings
  ADD COLUMN kiosk_failures integer NOT NULL DEFAULT 0 CHECK (kiosk_failures >= 0),
  ADD COLUMN kiosk_locked_at timestamptz;
COMMENT ON COLUMN bookings.kiosk_failures IS 'Wrong kiosk codes typed with this booking''s reference since its code was given out.';
COMMENT ON COLUMN bookings.kiosk_locked_at IS 'When the kiosk code locked (the tenth wrong one); NULL while it works.  A new code unlocks.';

-- The view gains kiosk_locked at its end (CREATE OR REPLACE may only add).
CREATE OR REPLACE VIEW booking_view AS
SELECT b.id, b.reference, b.token_hash, b.seeker_name, b.seeker_contact,
       s.name AS service_name, b.language,
       b.caseworker_id, c.name AS caseworker_name,
       o.id AS office_id, o.name AS office_name, o.time_zone AS office_tz,
       kb_us(lower(b.during)) AS starts_us, kb_us(upper(b.during)) AS ends_us,
       s.join_before_min * 60 AS join_before_s, s.join_after_min * 60 AS join_after_s,
       b.status,
       kb_us(b.checked_in_at) AS checked_in_us, kb_us(b.admitted_at) AS admitted_us,
       kb_us(b.ended_at) AS ended_us,
       b.sequence, b.interpreter, b.service_id, o.address AS office_address,
       kb_us(b.created_at) AS created_us, kb_us(b.cancelled_at) AS cancelled_us,
       b.cancel_reason, b.kiosk_locked_at IS NOT NULL AS kiosk_locked
  FROM bookings b
  JOIN services s ON s.id = b.service_id
  JOIN caseworkers c ON c.id = b.caseworker_id
  JOIN offices o ON o.id = c.office_id;
COMMENT ON COLUMN booking_view.kiosk_locked IS 'bookings.kiosk_locked_at IS NOT NULL';

COMMIT;
