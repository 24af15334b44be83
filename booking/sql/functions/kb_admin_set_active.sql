-- kb_admin_set_active: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003.
CREATE OR REPLACE FUNCTION public.kb_admin_set_active(p_actor bigint, p_now timestamp with time zone, p_caseworker bigint, p_active boolean)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_office bigint;
BEGIN
  SELECT office_id INTO v_office FROM caseworkers WHERE id = p_caseworker;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such caseworker' USING ERRCODE = 'check_violation', DETAIL = 'not_found';
  END IF;
  PERFORM kb_require_admin(p_actor, v_office);
  UPDATE caseworkers SET active = p_active WHERE id = p_caseworker;
  IF NOT p_active THEN
    DELETE FROM sessions WHERE caseworker_id = p_caseworker;
  END IF;
  PERFORM kb_audit(p_now, p_actor, CASE WHEN p_active THEN 'activate' ELSE 'deactivate' END,
                   NULL, jsonb_build_object('caseworker', p_caseworker));
  RETURN p_caseworker;
END $function$
;
COMMENT ON FUNCTION kb_admin_set_active(bigint,timestamp with time zone,bigint,boolean) IS 'Administrator: activate or deactivate a caseworker; deactivation ends their sessions (audited).';
