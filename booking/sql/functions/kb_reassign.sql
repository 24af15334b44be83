-- kb_reassign: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 003.
CREATE OR REPLACE FUNCTION public.kb_reassign(p_now timestamp with time zone, p_booking bigint, p_to bigint, p_actor bigint)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  b bookings;
  v_office bigint;
  tz text;
  cw bigint;
  reason text;
BEGIN
  SELECT * INTO b FROM bookings WHERE id = p_booking FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such booking' USING ERRCODE = 'check_violation', DETAIL = 'not_found';
  END IF;
  SELECT c.office_id, o.time_zone INTO v_office, tz
    FROM caseworkers c JOIN offices o ON o.id = c.office_id WHERE c.id = b.caseworker_id;
  PERFORM kb_require_admin(p_actor, v_office);
  IF b.status <> 'booked' THEN
    RAISE EXCEPTION 'only a booked meeting can be reassigned'
      USING ERRCODE = 'check_violation', DETAIL = 'state';
  END IF;
  FOR cw IN
    SELECT c.id FROM caseworkers c
     WHERE c.office_id = v_office AND c.active AND c.id <> b.caseworker_id
       AND (p_to IS NULL OR c.id = p_to)
       AND b.language = ANY (c.languages)
     ORDER BY (SELECT count(*) FROM bookings x
                WHERE x.caseworker_id = c.id AND x.status <> 'cancelled'
                  AND (lower(x.during) AT TIME ZONE tz)::date = (lower(b.during) AT TIME ZONE tz)::date),
              c.id
  LOOP
    BEGIN
      -- moved_at = p_now would re-check notice; a reassignment keeps the
      -- time, so the rules are checked against the original booking time.
      UPDATE bookings SET caseworker_id = cw, sequence = sequence + 1 WHERE id = b.id;
      PERFORM kb_audit(p_now, p_actor, 'reassign', b.id,
                       jsonb_build_object('from', b.caseworker_id, 'to', cw));
      RETURN b.id;
    EXCEPTION
      WHEN exclusion_violation OR deadlock_detected THEN
        NULL;   -- busy then, or a concurrent insert: the next one
      WHEN check_violation THEN
        GET STACKED DIAGNOSTICS reason = PG_EXCEPTION_DETAIL;
        IF p_to IS NOT NULL OR reason NOT IN ('absent', 'caseworker_inactive', 'outside_hours') THEN
          RAISE;
        END IF;
    END;
  END LOOP;
  RAISE EXCEPTION 'no caseworker is free then' USING ERRCODE = 'exclusion_violation', DETAIL = 'slot_taken';
END $function$
;
COMMENT ON FUNCTION kb_reassign(timestamp with time zone,bigint,bigint,bigint) IS 'Administrator: give a booked meeting to a named or the least-loaded free caseworker (audited).';
