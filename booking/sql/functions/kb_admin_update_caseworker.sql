-- kb_admin_update_caseworker: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 008.
CREATE OR REPLACE FUNCTION public.kb_admin_update_caseworker(p_actor bigint, p_now timestamp with time zone, p_caseworker bigint, p_office bigint, p_name text, p_is_admin boolean, p_languages text[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
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
END $function$
;
COMMENT ON FUNCTION kb_admin_update_caseworker(bigint,timestamp with time zone,bigint,bigint,text,boolean,text[]) IS 'Administrator: change a caseworker''s office, name, role and languages (audited). Their future bookings stay; kb_office_conflicts lists any the change breaks.';
