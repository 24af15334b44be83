-- 007_retention.sql — personal data has a retention limit.
--
-- A booking's person (name, contact, kiosk code, a caseworker's free-text
-- reason) is kept while it is needed: for the meeting and for follow-up.
-- After `personal_data_retention_days` (default 90) past the booking's end,
-- the sweep blanks them.  What statistics read — times, statuses, service,
-- office, caseworker — stays, without anyone's name on it.  Media and chat
-- are never stored at all.

BEGIN;

INSERT INTO schema_version (version, name) VALUES (7, '007_retention');

INSERT INTO settings VALUES ('personal_data_retention_days', '90');

ALTER TABLE bookings ADD COLUMN forgotten_at timestamptz;
COMMENT ON COLUMN bookings.forgotten_at IS 'When the retention sweep blanked the job seeker''s personal data (NULL: still held).';

CREATE FUNCTION kb_forget_personal_data (p_now timestamptz) RETURNS integer
  LANGUAGE plpgsql AS $$
DECLARE
  days integer;
  n integer;
BEGIN
  SELECT value::integer INTO days FROM settings WHERE key = 'personal_data_retention_days';
  WITH gone AS (
    UPDATE bookings
       SET seeker_name = '-', seeker_contact = '', kiosk_code_hash = NULL,
           cancel_reason = NULL, forgotten_at = p_now
     WHERE forgotten_at IS NULL
       AND upper(during) < p_now - make_interval(days => coalesce(days, 90))
    RETURNING id)
  UPDATE audit_log a SET details = a.details - 'reason' - 'name' - 'contact'
    FROM gone WHERE a.booking_id = gone.id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
COMMENT ON FUNCTION kb_forget_personal_data (timestamptz) IS 'Blanks the personal data of bookings that ended more than personal_data_retention_days ago; returns the audit rows touched.';

COMMIT;
