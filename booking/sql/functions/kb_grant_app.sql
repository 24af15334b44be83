-- kb_grant_app: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions"), and calls it after every migration.  Earlier versions: none.
-- What the server's role kontor_app may do (migration 014): rows, not the
-- schema; audit_log only read and added to; the version tables only read.
CREATE OR REPLACE FUNCTION public.kb_grant_app()
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kontor_app') THEN
    RETURN false;
  END IF;
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  GRANT USAGE ON SCHEMA public TO kontor_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO kontor_app;
  REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM kontor_app;
  REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_version, function_files FROM kontor_app;
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO kontor_app;
  GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO kontor_app;
  RETURN true;
END $function$
;
COMMENT ON FUNCTION kb_grant_app() IS 'Grants the server role kontor_app what it needs and no more; false when that role does not exist.';
