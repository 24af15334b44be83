-- 003_admin.sql — what administrators do, as functions that check who acts
-- and write the audit log in the same transaction: offices, weekly hours,
-- special days, services, caseworkers, absences, and reassigning a booking
-- that a closure, an absence or a deactivation left stranded.
--
-- An actor who is not an active administrator (of the office concerned,
-- where there is one) gets SQLSTATE 42501 (insufficient_privilege).

BEGIN;

INSERT INTO schema_version (version, name) VALUES (3, '003_admin');

-- Refuses unless p_actor is an active administrator, and — when p_office is
-- given — of that office.
CREATE FUNCTION kb_require_admin (p_actor bigint, p_office bigint) RETURNS void
  LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM caseworkers
                  WHERE id = p_actor AND active AND is_admin
                    AND (p_office IS NULL OR office_id = p_office)) THEN
    RAISE EXCEPTION 'an administrator of this office is required'
      USING ERRCODE = 'insufficient_privilege', DETAIL = 'forbidden';
  END IF;
END $$;
COMMENT ON FUNCTION kb_require_admin (bigint, bigint) IS 'Raises 42501 unless the actor is an active administrator (of the office, if given).';

CREATE FUNCTION kb_audit (p_now timestamptz, p_actor bigint, p_action text,
                          p_booking bigint, p_details jsonb) RETURNS void
  LANGUAGE sql AS $$
  INSERT INTO audit_log (at, caseworker_id, action, booking_id, details)
  VALUES (p_now, p_actor, p_action, p_booking, coalesce(p_details, '{}'))
$$;
COMMENT ON FUNCTION kb_audit (timestamptz, bigint, text, bigint, jsonb) IS 'Appends one audit_log row.';

-- Creates (p_id NULL) or updates an office.
CREATE FUNCTION kb_admin_save_office (p_actor bigint, p_now timestamptz, p_id bigint,
                                      p_name text, p_time_zone text, p_address text,
                                      p_languages text[]) RETURNS bigint
  LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
BEGIN
  PERFORM kb_require_admin(p_actor, p_id);
  IF p_id IS NULL THEN
    INSERT INTO offices (name, time_zone, address, languages)
    VALUES (p_name, p_time_zone, coalesce(p_address, ''), coalesce(p_languages, '{nb}'))
    RETURNING id INTO v_id;
  ELSE
    UPDATE offices SET name = p_name, time_zone = p_time_zone,
                       address = coalesce(p_address, ''), languages = coalesce(p_languages, languages)
     WHERE id = p_id RETURNING id INTO v_id;
  END IF;
  PERFORM kb_audit(p_now, p_actor, 'save_office', NULL,
                   jsonb_build_object('office', v_id, 'name', p_name, 'time_zone', p_time_zone));
  RETURN v_id;
END $$;
COMMENT ON FUNCTION kb_admin_save_office (bigint, timestamptz, bigint, text, text, text, text[]) IS 'Administrator: create or update an office (audited).';

-- Replaces the weekly hours of an office.  Existing bookings are never
-- touched: the result is how many future bookings now fall outside the
-- rules (kb_office_conflicts lists them).
CREATE FUNCTION kb_admin_set_hours (p_actor bigint, p_now timestamptz, p_office bigint,
                                    p_weekdays integer[], p_opens time[], p_closes time[])
  RETURNS bigint
  LANGUAGE plpgsql AS $$
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
END $$;
COMMENT ON FUNCTION kb_admin_set_hours (bigint, timestamptz, bigint, integer[], time[], time[]) IS 'Administrator: replace weekly opening hours; returns the number of future bookings left outside the rules.';

-- A closure (no hours) or special day with its own hours, on local dates
-- [p_first, p_last].
CREATE FUNCTION kb_admin_add_special_day (p_actor bigint, p_now timestamptz, p_office bigint,
                                          p_first date, p_last date, p_reason text,
                                          p_opens time[], p_closes time[])
  RETURNS bigint
  LANGUAGE plpgsql AS $$
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
END $$;
COMMENT ON FUNCTION kb_admin_add_special_day (bigint, timestamptz, bigint, date, date, text, time[], time[]) IS 'Administrator: add a closure (no hours) or special day with its own hours (audited).';

CREATE FUNCTION kb_admin_delete_special_day (p_actor bigint, p_now timestamptz, p_id bigint)
  RETURNS bigint
  LANGUAGE plpgsql AS $$
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
END $$;
COMMENT ON FUNCTION kb_admin_delete_special_day (bigint, timestamptz, bigint) IS 'Administrator: remove a special day (audited).';

-- Creates (p_id NULL) or updates a service.  Services are shared by all
-- offices: any active administrator may edit them.
CREATE FUNCTION kb_admin_save_service (p_actor bigint, p_now timestamptz, p_id bigint,
                                       p_name text, p_duration integer, p_buffer integer,
                                       p_notice integer, p_horizon integer,
                                       p_join_before integer, p_join_after integer,
                                       p_languages text[], p_interpreter boolean)
  RETURNS bigint
  LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
BEGIN
  PERFORM kb_require_admin(p_actor, NULL);
  IF p_id IS NULL THEN
    INSERT INTO services (name, duration_min, buffer_min, notice_min, horizon_days,
                          join_before_min, join_after_min, languages, interpreter_allowed)
    VALUES (p_name, p_duration, p_buffer, p_notice, p_horizon, p_join_before, p_join_after,
            coalesce(p_languages, '{}'), p_interpreter)
    RETURNING id INTO v_id;
  ELSE
    UPDATE services
       SET name = p_name, duration_min = p_duration, buffer_min = p_buffer,
           notice_min = p_notice, horizon_days = p_horizon, join_before_min = p_join_before,
           join_after_min = p_join_after, languages = coalesce(p_languages, '{}'),
           interpreter_allowed = p_interpreter
     WHERE id = p_id RETURNING id INTO v_id;
  END IF;
  PERFORM kb_audit(p_now, p_actor, 'save_service', NULL,
                   jsonb_build_object('service', v_id, 'name', p_name, 'duration', p_duration,
                                      'buffer', p_buffer));
  RETURN v_id;
END $$;
COMMENT ON FUNCTION kb_admin_save_service (bigint, timestamptz, bigint, text, integer, integer, integer, integer, integer, integer, text[], boolean) IS 'Administrator: create or update a service (audited).';

-- Creates a caseworker of the administrator's office (the password hash is
-- made by the caller, argon2id).
CREATE FUNCTION kb_admin_create_caseworker (p_actor bigint, p_now timestamptz, p_office bigint,
                                            p_name text, p_email text, p_password_hash text,
                                            p_is_admin boolean, p_languages text[])
  RETURNS bigint
  LANGUAGE plpgsql AS $$
DECLARE
  v_id bigint;
BEGIN
  PERFORM kb_require_admin(p_actor, p_office);
  INSERT INTO caseworkers (office_id, name, email, password_hash, is_admin, languages)
  VALUES (p_office, p_name, p_email, p_password_hash, p_is_admin, coalesce(p_languages, '{nb}'))
  RETURNING id INTO v_id;
  PERFORM kb_audit(p_now, p_actor, 'create_caseworker', NULL,
                   jsonb_build_object('caseworker', v_id, 'email', p_email, 'is_admin', p_is_admin));
  RETURN v_id;
END $$;
COMMENT ON FUNCTION kb_admin_create_caseworker (bigint, timestamptz, bigint, text, text, text, boolean, text[]) IS 'Administrator: add a caseworker to the office (audited).';

-- (De)activates a caseworker of the administrator's office.  A deactivated
-- caseworker's future bookings stay; kb_office_conflicts lists them.
CREATE FUNCTION kb_admin_set_active (p_actor bigint, p_now timestamptz, p_caseworker bigint,
                                     p_active boolean) RETURNS bigint
  LANGUAGE plpgsql AS $$
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
END $$;
COMMENT ON FUNCTION kb_admin_set_active (bigint, timestamptz, bigint, boolean) IS 'Administrator: activate or deactivate a caseworker; deactivation ends their sessions (audited).';

CREATE FUNCTION kb_admin_add_absence (p_actor bigint, p_now timestamptz, p_caseworker bigint,
                                      p_from timestamptz, p_to timestamptz, p_reason text)
  RETURNS bigint
  LANGUAGE plpgsql AS $$
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
END $$;
COMMENT ON FUNCTION kb_admin_add_absence (bigint, timestamptz, bigint, timestamptz, timestamptz, text) IS 'Administrator: record a caseworker absence (audited).';

-- Gives a booked meeting to another caseworker of its office: the named
-- one, or the least-loaded one free then (next on a race).  The rules
-- trigger checks hours, absence and activity; 23P01 when nobody is free.
CREATE FUNCTION kb_reassign (p_now timestamptz, p_booking bigint, p_to bigint, p_actor bigint)
  RETURNS bigint
  LANGUAGE plpgsql AS $$
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
END $$;
COMMENT ON FUNCTION kb_reassign (timestamptz, bigint, bigint, bigint) IS 'Administrator: give a booked meeting to a named or the least-loaded free caseworker (audited).';

-- kb_book from 002, now also moving on when two concurrent inserts of the
-- same slot deadlock on the exclusion constraint (each waits for the other's
-- index entry; PostgreSQL aborts one with 40P01).  Seen under load.
CREATE OR REPLACE FUNCTION kb_book (p_now timestamptz, p_service bigint, p_office bigint,
                         p_caseworker bigint, p_start timestamptz,
                         p_reference text, p_token_hash bytea, p_kiosk_hash text,
                         p_name text, p_contact text, p_language text,
                         p_interpreter boolean)
  RETURNS bigint
  LANGUAGE plpgsql AS $$
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
END $$;

COMMIT;
