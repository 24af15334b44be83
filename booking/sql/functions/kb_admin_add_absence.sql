-- kb_admin_add_absence: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003.
CREATE OR REPLACE FUNCTION public.kb_admin_add_absence(p_actor bigint, p_now timestamp with time zone, p_caseworker bigint, p_from timestamp with time zone, p_to timestamp with time zone, p_reason text)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_office bigint;
  v_id bigint;
BEGIN
  SELECT office_id INTO v_office FROM caseworkers WHERE id = p_caseworker;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such caseworker' USING ERRCODE = 'check_violation', DETAIL = 'not_found';
  END IF;
  PERFORM kb_require_admin(p_actor, v_office);
  INSERT INTO absences (caseworker_id, during, reason)
  VALUES (p_caseworker, tstzrange(p_from, p_to), coalesce(p_reason, ''))
  RETURNING id INTO v_id;
  PERFORM kb_audit(p_now, p_actor, 'add_absence', NULL,
                   jsonb_build_object('caseworker', p_caseworker, 'from', p_from, 'to', p_to,
                                      'reason', p_reason));
  RETURN v_id;
END $function$
;
COMMENT ON FUNCTION kb_admin_add_absence(bigint,timestamp with time zone,bigint,timestamp with time zone,timestamp with time zone,text) IS 'Administrator: record a caseworker absence (audited).';
