-- kb_audit: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003.
CREATE OR REPLACE FUNCTION public.kb_audit(p_now timestamp with time zone, p_actor bigint, p_action text, p_booking bigint, p_details jsonb)
 RETURNS void
 LANGUAGE sql
AS $function$
  INSERT INTO audit_log (at, caseworker_id, action, booking_id, details)
  VALUES (p_now, p_actor, p_action, p_booking, coalesce(p_details, '{}'))
$function$
;
COMMENT ON FUNCTION kb_audit(timestamp with time zone,bigint,text,bigint,jsonb) IS 'Appends one audit_log row.';
