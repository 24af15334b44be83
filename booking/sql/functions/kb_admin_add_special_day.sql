-- kb_admin_add_special_day: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003.
CREATE OR REPLACE FUNCTION public.kb_admin_add_special_day(p_actor bigint, p_now timestamp with time zone, p_office bigint, p_first date, p_last date, p_reason text, p_opens time without time zone[], p_closes time without time zone[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_id bigint;
BEGIN
  PERFORM kb_require_admin(p_actor, p_office);
  IF p_last < p_first THEN
    RAISE EXCEPTION 'the last day is before the first'
      USING ERRCODE = 'check_violation', DETAIL = 'date';
  END IF;
  INSERT INTO special_days (office_id, days, reason)
  VALUES (p_office, daterange(p_first, p_last, '[]'), coalesce(p_reason, ''))
  RETURNING id INTO v_id;
  INSERT INTO special_hours (special_day_id, opens_at, closes_at)
  SELECT v_id, o, c FROM unnest(coalesce(p_opens, '{}'), coalesce(p_closes, '{}')) AS t(o, c);
  PERFORM kb_audit(p_now, p_actor, 'add_special_day', NULL,
                   jsonb_build_object('office', p_office, 'first', p_first, 'last', p_last,
                                      'reason', p_reason, 'opens', p_opens, 'closes', p_closes));
  RETURN v_id;
END $function$
;
COMMENT ON FUNCTION kb_admin_add_special_day(bigint,timestamp with time zone,bigint,date,date,text,time without time zone[],time without time zone[]) IS 'Administrator: add a closure (no hours) or special day with its own hours (audited).';
