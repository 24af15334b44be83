-- kb_admin_set_hours: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003.
CREATE OR REPLACE FUNCTION public.kb_admin_set_hours(p_actor bigint, p_now timestamp with time zone, p_office bigint, p_weekdays integer[], p_opens time without time zone[], p_closes time without time zone[])
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
BEGIN
  PERFORM kb_require_admin(p_actor, p_office);
  IF cardinality(p_weekdays) <> cardinality(p_opens) OR cardinality(p_opens) <> cardinality(p_closes) THEN
    RAISE EXCEPTION 'weekdays, opening and closing times differ in number'
      USING ERRCODE = 'check_violation', DETAIL = 'hours';
  END IF;
  DELETE FROM opening_hours WHERE office_id = p_office;
  INSERT INTO opening_hours (office_id, weekday, opens_at, closes_at)
  SELECT p_office, w, o, c FROM unnest(p_weekdays, p_opens, p_closes) AS t(w, o, c);
  PERFORM kb_audit(p_now, p_actor, 'set_hours', NULL,
                   jsonb_build_object('office', p_office, 'weekdays', p_weekdays,
                                      'opens', p_opens, 'closes', p_closes));
  RETURN (SELECT count(*) FROM kb_office_conflicts(p_office, p_now));
END $function$
;
COMMENT ON FUNCTION kb_admin_set_hours(bigint,timestamp with time zone,bigint,integer[],time without time zone[],time without time zone[]) IS 'Administrator: replace weekly opening hours; returns the number of future bookings left outside the rules.';
