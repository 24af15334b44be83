-- 008_admin_edits.sql — what 003 left out of an administrator's work on
-- caseworkers: change name, office, languages and role; set a new password
-- (a caseworker who forgot theirs); take back an absence entered by
-- mistake.  Each checks the actor and writes the audit log, as in 003.

BEGIN;

INSERT INTO schema_version (version, name) VALUES (8, '008_admin_edits');

CREATE FUNCTION kb_admin_update_caseworker (p_actor bigint, p_now timestamptz, p_caseworker bigint,
                                            p_office bigint, p_name text, p_is_admin boolean,
                                            p_languages text[])
  RETURNS bigint
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kb_require_admin(p_actor, p_office);
  IF p_caseworker = p_actor AND NOT p_is_admin THEN
    -- The last word on roles stays with someone: nobody demotes themselves.
    RAISE EXCEPTION 'an administrator cannot take away their own role'
      USING ERRCODE = 'check_violation', DETAIL = 'own_role';
  END IF;
  UPDATE caseworkers
     SET office_id = p_office, name = p_name, is_admin = p_is_admin,
         languages = coalesce(p_languages, languages)
   WHERE id = p_caseworker;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such caseworker' USING ERRCODE = 'check_violation', DETAIL = 'not_found';
  END IF;
  PERFORM kb_audit(p_now, p_actor, 'update_caseworker', NULL,
                   jsonb_build_object('caseworker', p_caseworker, 'office', p_office,
                                      'is_admin', p_is_admin));
  RETURN p_caseworker;
END $$;
COMMENT ON FUNCTION kb_admin_update_caseworker (bigint, timestamptz, bigint, bigint, text, boolean, text[]) IS 'Administrator: change a caseworker''s office, name, role and languages (audited). Their future bookings stay; kb_office_conflicts lists any the change breaks.';

CREATE FUNCTION kb_admin_set_password (p_actor bigint, p_now timestamptz, p_caseworker bigint,
                                       p_password_hash text)
  RETURNS bigint
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM kb_require_admin(p_actor, NULL);
  UPDATE caseworkers SET password_hash = p_password_hash WHERE id = p_caseworker;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such caseworker' USING ERRCODE = 'check_violation', DETAIL = 'not_found';
  END IF;
  -- Whoever held the old password is logged out.
  DELETE FROM sessions WHERE caseworker_id = p_caseworker;
  PERFORM kb_audit(p_now, p_actor, 'set_password', NULL,
                   jsonb_build_object('caseworker', p_caseworker));
  RETURN p_caseworker;
END $$;
COMMENT ON FUNCTION kb_admin_set_password (bigint, timestamptz, bigint, text) IS 'Administrator: give a caseworker a new password (argon2id hash); ends their sessions (audited).';

CREATE FUNCTION kb_admin_delete_absence (p_actor bigint, p_now timestamptz, p_absence bigint)
  RETURNS bigint
  LANGUAGE plpgsql AS $$
DECLARE
  v_caseworker bigint;
BEGIN
  PERFORM kb_require_admin(p_actor, NULL);
  DELETE FROM absences WHERE id = p_absence RETURNING caseworker_id INTO v_caseworker;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such absence' USING ERRCODE = 'check_violation', DETAIL = 'not_found';
  END IF;
  PERFORM kb_audit(p_now, p_actor, 'delete_absence', NULL,
                   jsonb_build_object('caseworker', v_caseworker, 'absence', p_absence));
  RETURN p_absence;
END $$;
COMMENT ON FUNCTION kb_admin_delete_absence (bigint, timestamptz, bigint) IS 'Administrator: remove an absence (audited).';

COMMIT;
