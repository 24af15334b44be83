-- 014_roles_and_audit.sql — the server gets a role of its own, without
-- DDL, and the audit log becomes append-only (issue 14).
--
-- `kontor migrate` runs as the schema's owner ([database]
-- migrate_conninfo); the server connects as a login role that is a member
-- of kontor_app, which may read and write rows but not change the schema,
-- and may only add to audit_log.  Rows leave audit_log through
-- kb_purge_audit alone (SECURITY DEFINER, owned by the schema owner, run by
-- the sweep), and only those past [privacy] audit_retention_days.
--
-- Creating a role needs CREATEROLE.  An owner without it gets a warning and
-- the grants are skipped: then a database administrator creates kontor_app
-- and runs `kontor migrate` again (function files are re-applied; the
-- grants below live in kb_grant_app(), which migrate calls every time).

BEGIN;
INSERT INTO schema_version (version, name) VALUES (14, '014_roles_and_audit');

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kontor_app') THEN
    CREATE ROLE kontor_app NOLOGIN;
  END IF;
EXCEPTION
  WHEN insufficient_privilege THEN
    RAISE WARNING 'kontor_app was not created (the owner lacks CREATEROLE); create it and migrate again';
  WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database of the cluster created it just now
END $$;

INSERT INTO settings VALUES ('audit_retention_days', '730');

-- Append-only, whoever asks: only the table's owner (that is, a SECURITY
-- DEFINER function of the owner's, kb_purge_audit and
-- kb_forget_personal_data) may change or remove rows.  A server that runs
-- as the owner itself is not held back by this; deploy/ never runs it so.
CREATE FUNCTION kb_audit_log_guard () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> (SELECT relowner::regrole::text FROM pg_class WHERE oid = 'audit_log'::regclass) THEN
    RAISE EXCEPTION 'audit_log is append-only: % by % refused', TG_OP, current_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION kb_audit_log_guard () IS 'Refuses UPDATE, DELETE and TRUNCATE on audit_log to anyone but its owner.';
CREATE TRIGGER audit_log_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION kb_audit_log_guard();

CREATE INDEX audit_log_caseworker ON audit_log (caseworker_id, at);
CREATE INDEX audit_log_booking ON audit_log (booking_id);

COMMIT;
