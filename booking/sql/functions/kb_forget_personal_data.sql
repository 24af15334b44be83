-- kb_forget_personal_data: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 007; the file before migration 016.
-- SECURITY DEFINER: it blanks details in audit_log, which only the schema
-- owner may change (migration 014).
CREATE OR REPLACE FUNCTION public.kb_forget_personal_data(p_now timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  days integer;
  n integer;
BEGIN
  SELECT value::integer INTO days FROM settings WHERE key = 'personal_data_retention_days';
  WITH gone AS (
    UPDATE bookings
       SET seeker_name = '-', seeker_contact = '', kiosk_code_hash = NULL,
           cancel_reason = NULL, forgotten_at = p_now, token_sealed = NULL
     WHERE forgotten_at IS NULL
       AND upper(during) < p_now - make_interval(days => coalesce(days, 90))
    RETURNING id),
  unsent AS (
    -- Nothing is left to send them with (contact_to went with the contact).
    UPDATE outbox o SET status = 'cancelled'
      FROM gone WHERE o.booking_id = gone.id AND o.status IN ('pending', 'sending'))
  UPDATE audit_log a SET details = a.details - 'reason' - 'name' - 'contact'
    FROM gone WHERE a.booking_id = gone.id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $function$
;
COMMENT ON FUNCTION kb_forget_personal_data(timestamp with time zone) IS 'Blanks the personal data (name, contact, sealed link) of bookings that ended more than personal_data_retention_days ago; returns the audit rows touched.';
