-- kb_admin_delete_special_day: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003.
CREATE OR REPLACE FUNCTION public.kb_admin_delete_special_day(p_actor bigint, p_now timestamp with time zone, p_id bigint)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_office bigint;
BEGIN
  SELECT office_id INTO v_office FROM special_days WHERE id = p_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such special day' USING ERRCODE = 'check_violation', DETAIL = 'not_found';
  END IF;
  PERFORM kb_require_admin(p_actor, v_office);
  DELETE FROM special_days WHERE id = p_id;
  PERFORM kb_audit(p_now, p_actor, 'delete_special_day', NULL, jsonb_build_object('id', p_id));
  RETURN p_id;
END $function$
;
COMMENT ON FUNCTION kb_admin_delete_special_day(bigint,timestamp with time zone,bigint) IS 'Administrator: remove a special day (audited).';
