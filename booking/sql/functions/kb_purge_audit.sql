-- kb_purge_audit: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: none.
-- SECURITY DEFINER: it runs as the schema owner, the only role the
-- append-only guard of audit_log lets delete (migration 014).
CREATE OR REPLACE FUNCTION public.kb_purge_audit(p_now timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  days integer;
  n integer;
BEGIN
  SELECT value::integer INTO days FROM settings WHERE key = 'audit_retention_days';
  DELETE FROM audit_log WHERE at < p_now - make_interval(days => coalesce(days, 730));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $function$
;
COMMENT ON FUNCTION kb_purge_audit(timestamp with time zone) IS 'Removes audit_log rows older than audit_retention_days (the sweep runs it); returns how many.';
