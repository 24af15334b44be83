-- kb_book_unchecked: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 011 (renamed from kb_book).
CREATE OR REPLACE FUNCTION public.kb_book_unchecked(p_now timestamp with time zone, p_service bigint, p_office bigint, p_caseworker bigint, p_start timestamp with time zone, p_reference text, p_token_hash bytea, p_kiosk_hash text, p_name text, p_contact text, p_language text, p_interpreter boolean)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
  s services;
  tz text;
  v_during tstzrange;
  cw bigint;
  new_id bigint;
  constraint_name text;
  tried integer := 0;
BEGIN
  SELECT * INTO s FROM services WHERE id = p_service;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such service' USING ERRCODE = 'check_violation', DETAIL = 'no_service';
  END IF;
  IF p_interpreter AND NOT s.interpreter_allowed THEN
    RAISE EXCEPTION 'this service offers no interpreter'
      USING ERRCODE = 'check_violation', DETAIL = 'no_interpreter';
  END IF;
  IF cardinality(s.languages) > 0 AND NOT p_language = ANY (s.languages) THEN
    RAISE EXCEPTION 'language not offered' USING ERRCODE = 'check_violation', DETAIL = 'language';
  END IF;
  v_during := tstzrange(p_start, p_start + make_interval(mins => s.duration_min));
  SELECT time_zone INTO tz FROM offices WHERE id = p_office;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such office' USING ERRCODE = 'check_violation', DETAIL = 'no_office';
  END IF;

  FOR cw IN
    SELECT c.id
      FROM caseworkers c
     WHERE c.office_id = p_office AND c.active
       AND (p_caseworker IS NULL OR c.id = p_caseworker)
       AND p_language = ANY (c.languages)
     ORDER BY (SELECT count(*) FROM bookings b
                WHERE b.caseworker_id = c.id AND b.status <> 'cancelled'
                  AND (lower(b.during) AT TIME ZONE tz)::date = (p_start AT TIME ZONE tz)::date),
              c.id
  LOOP
    tried := tried + 1;
    BEGIN
      INSERT INTO bookings (reference, token_hash, kiosk_code_hash, seeker_name,
                            seeker_contact, language, interpreter, service_id,
                            caseworker_id, during, blocked, created_at, status_changed_at)
      VALUES (p_reference, p_token_hash, p_kiosk_hash, p_name, p_contact, p_language,
              p_interpreter, p_service, cw, v_during, v_during, p_now, p_now)
      RETURNING id INTO new_id;
      RETURN new_id;
    EXCEPTION
      WHEN exclusion_violation OR deadlock_detected THEN
        GET STACKED DIAGNOSTICS constraint_name = CONSTRAINT_NAME;
        IF constraint_name = 'bookings_seeker_overlap' THEN
          RAISE EXCEPTION 'you already have a booking at that time'
            USING ERRCODE = 'check_violation', DETAIL = 'seeker_overlap';
        END IF;
        -- taken by someone else, or two racers inserting at once and the
        -- deadlock detector chose us: try the next caseworker
      WHEN check_violation THEN
        GET STACKED DIAGNOSTICS constraint_name = PG_EXCEPTION_DETAIL;
        -- an absence or an inactive caseworker rules out this one only
        IF constraint_name NOT IN ('absent', 'caseworker_inactive') OR p_caseworker IS NOT NULL THEN
          RAISE;
        END IF;
    END;
  END LOOP;
  RAISE EXCEPTION 'the slot is taken' USING ERRCODE = 'exclusion_violation',
    DETAIL = CASE WHEN tried = 0 THEN 'no_caseworker' ELSE 'slot_taken' END;
END $function$
;
COMMENT ON FUNCTION kb_book_unchecked(timestamp with time zone,bigint,bigint,bigint,timestamp with time zone,text,bytea,text,text,text,text,boolean) IS 'Books a slot for a named or the least-loaded free caseworker, retrying the next one on a race.';
