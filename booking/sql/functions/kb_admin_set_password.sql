-- kb_admin_set_password: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 008.
CREATE OR REPLACE FUNCTION public.kb_admin_set_password(p_actor bigint, p_now timestamp with time zone, p_caseworker bigint, p_password_hash text)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
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
END $function$
;
COMMENT ON FUNCTION kb_admin_set_password(bigint,timestamp with time zone,bigint,text) IS 'Administrator: give a caseworker a new password (argon2id hash); ends their sessions (audited).';
