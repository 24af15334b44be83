-- kb_admin_delete_absence: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 008.
CREATE OR REPLACE FUNCTION public.kb_admin_delete_absence(p_actor bigint, p_now timestamp with time zone, p_absence bigint)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
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
END $function$
;
COMMENT ON FUNCTION kb_admin_delete_absence(bigint,timestamp with time zone,bigint) IS 'Administrator: remove an absence (audited).';
