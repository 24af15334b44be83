-- 002_rules.sql — the booking rules held by the database: special days and
-- closures, absences, service notice/horizon/languages, job seeker overlap
-- and cap, the opening-hours check as a trigger, references with an
-- unambiguous alphabet, kiosk codes, audit log; free-slot computation.
--
-- Error convention for rule violations (read by booking/pool.c): SQLSTATE
-- 23514 (check_violation) with the machine code in DETAIL, e.g.
-- 'outside_hours'.  Overlaps stay exclusion violations (23P01).

BEGIN;

INSERT INTO schema_version (version, name) VALUES (2, '002_rules');

-- ---- settings ------------------------------------------------------------

CREATE TABLE settings (
  key   text PRIMARY KEY,
  value text NOT NULL
);
COMMENT ON TABLE settings IS 'Deployment-wide tunables the rules read (the administrator may change them).';
COMMENT ON COLUMN settings.key IS 'Setting name, e.g. max_live_bookings_per_contact.';
COMMENT ON COLUMN settings.value IS 'Setting value as text.';
INSERT INTO settings VALUES ('max_live_bookings_per_contact', '3');

-- ---- offices, services, caseworkers: more attributes ----------------------

ALTER TABLE offices ADD COLUMN languages text[] NOT NULL DEFAULT '{nb}';
COMMENT ON COLUMN offices.languages IS 'Languages the office serves (BCP 47 tags).';

ALTER TABLE services
  ADD COLUMN notice_min integer NOT NULL DEFAULT 60 CHECK (notice_min BETWEEN 0 AND 43200),
  ADD COLUMN horizon_days integer NOT NULL DEFAULT 60 CHECK (horizon_days BETWEEN 1 AND 366),
  ADD COLUMN languages text[] NOT NULL DEFAULT '{}',
  ADD COLUMN interpreter_allowed boolean NOT NULL DEFAULT true;
COMMENT ON COLUMN services.notice_min IS 'A booking must be made at least this many minutes before it starts.';
COMMENT ON COLUMN services.horizon_days IS 'A booking may start at most this many days after it is made.';
COMMENT ON COLUMN services.languages IS 'Languages the service is offered in; empty means any language a caseworker speaks.';
COMMENT ON COLUMN services.interpreter_allowed IS 'Whether a job seeker may ask for an interpreter.';

ALTER TABLE caseworkers ADD COLUMN languages text[] NOT NULL DEFAULT '{nb}';
COMMENT ON COLUMN caseworkers.languages IS 'Languages the caseworker holds meetings in.';

-- ---- special days, closures, absences ----------------------------------

CREATE TABLE special_days (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  office_id bigint NOT NULL REFERENCES offices ON DELETE CASCADE,
  days      daterange NOT NULL CHECK (NOT isempty(days) AND NOT lower_inf(days) AND NOT upper_inf(days)),
  reason    text NOT NULL DEFAULT '',
  EXCLUDE USING gist (office_id WITH =, days WITH &&)
);
COMMENT ON TABLE special_days IS 'Local dates on which the weekly hours do not apply: closed (no special_hours rows) or open with their own special_hours.';
COMMENT ON COLUMN special_days.id IS 'Surrogate key.';
COMMENT ON COLUMN special_days.office_id IS 'The office concerned.';
COMMENT ON COLUMN special_days.days IS 'Local dates of the office, [first, last+1).';
COMMENT ON COLUMN special_days.reason IS 'Why, e.g. "Christmas" (shown to the administrator).';

CREATE TABLE special_hours (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  special_day_id bigint NOT NULL REFERENCES special_days ON DELETE CASCADE,
  opens_at       time NOT NULL,
  closes_at      time NOT NULL,
  CHECK (opens_at < closes_at),
  EXCLUDE USING gist (special_day_id WITH =,
                      tsrange('2000-01-01'::date + opens_at, '2000-01-01'::date + closes_at) WITH &&)
);
COMMENT ON TABLE special_hours IS 'Opening intervals on each date of a special day, replacing the weekly hours; none means closed.';
COMMENT ON COLUMN special_hours.id IS 'Surrogate key.';
COMMENT ON COLUMN special_hours.special_day_id IS 'The special day these hours apply to.';
COMMENT ON COLUMN special_hours.opens_at IS 'Local wall-clock time the interval starts.';
COMMENT ON COLUMN special_hours.closes_at IS 'Local wall-clock time the interval ends.';

CREATE TABLE absences (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  caseworker_id bigint NOT NULL REFERENCES caseworkers ON DELETE CASCADE,
  during        tstzrange NOT NULL CHECK (NOT isempty(during)),
  reason        text NOT NULL DEFAULT ''
);
CREATE INDEX absences_during ON absences USING gist (caseworker_id, during);
COMMENT ON TABLE absences IS 'Times a caseworker cannot take meetings (leave, training).';
COMMENT ON COLUMN absences.id IS 'Surrogate key.';
COMMENT ON COLUMN absences.caseworker_id IS 'Who is away.';
COMMENT ON COLUMN absences.during IS 'When, as absolute times.';
COMMENT ON COLUMN absences.reason IS 'Free text for the administrator.';

-- ---- bookings: more attributes and rules --------------------------------

-- E-mail: trimmed, lower case.  Phone: digits with a leading + kept, 00
-- prefix read as +.  Identifies a job seeker for the overlap rule and cap.
CREATE FUNCTION kb_normalise_contact (contact text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN CASE
    WHEN position('@' IN contact) > 0 THEN lower(btrim(contact))
    ELSE regexp_replace(regexp_replace(btrim(contact), '^00', '+'), '[^0-9+]|(?!^)\+', '', 'g')
  END;
COMMENT ON FUNCTION kb_normalise_contact (text) IS 'Canonical form of a job seeker''s e-mail or phone number.';

ALTER TABLE bookings
  ADD COLUMN seeker_contact_norm text GENERATED ALWAYS AS (kb_normalise_contact(seeker_contact)) STORED,
  ADD COLUMN interpreter boolean NOT NULL DEFAULT false,
  ADD COLUMN kiosk_code_hash text,
  ADD COLUMN sequence integer NOT NULL DEFAULT 0,
  ADD COLUMN moved_at timestamptz,
  ADD COLUMN cancel_reason text,
  ADD COLUMN cancelled_by bigint REFERENCES caseworkers,
  ADD CONSTRAINT bookings_reference_alphabet
    CHECK (reference ~ '^[ACDEFHJKMNPQRTUVWXY34679]{3}-[ACDEFHJKMNPQRTUVWXY34679]{3}$'),
  ADD CONSTRAINT bookings_seeker_overlap
    EXCLUDE USING gist (seeker_contact_norm WITH =, during WITH &&)
    WHERE (status <> 'cancelled' AND seeker_contact_norm <> '');
COMMENT ON COLUMN bookings.seeker_contact_norm IS 'kb_normalise_contact(seeker_contact): one job seeker cannot hold two overlapping live bookings.';
COMMENT ON COLUMN bookings.interpreter IS 'The job seeker asked for an interpreter.';
COMMENT ON COLUMN bookings.kiosk_code_hash IS 'argon2id hash of the short code typed with the reference at a service-office kiosk.';
COMMENT ON COLUMN bookings.sequence IS 'iCalendar SEQUENCE: raised on every move or cancellation.';
COMMENT ON COLUMN bookings.moved_at IS 'Server clock of the latest move or reassignment (the "now" the rules are checked against then).';
COMMENT ON COLUMN bookings.cancel_reason IS 'Why it was cancelled, when a caseworker or administrator did it.';
COMMENT ON COLUMN bookings.cancelled_by IS 'Caseworker who cancelled; NULL when the job seeker did (by link).';

CREATE INDEX bookings_contact ON bookings (seeker_contact_norm) WHERE status IN ('booked', 'waiting');

-- The office's opening intervals on local dates [from_date, to_date] as
-- absolute times.  Wall-clock times become instants through the office's
-- zone date by date, so a DST change moves the instants, never the hours.
CREATE FUNCTION kb_office_open (p_office bigint, p_from date, p_to date)
  RETURNS tstzmultirange
  LANGUAGE sql STABLE AS $$
  SELECT coalesce(range_agg(tstzrange((d.day + h.opens_at) AT TIME ZONE o.time_zone,
                                      (d.day + h.closes_at) AT TIME ZONE o.time_zone)),
                  '{}'::tstzmultirange)
    FROM offices o
   CROSS JOIN LATERAL (SELECT g::date AS day
                         FROM generate_series(p_from, p_to, interval '1 day') g) d
   CROSS JOIN LATERAL (
          SELECT sh.opens_at, sh.closes_at
            FROM special_days sd JOIN special_hours sh ON sh.special_day_id = sd.id
           WHERE sd.office_id = o.id AND sd.days @> d.day
          UNION ALL
          SELECT oh.opens_at, oh.closes_at
            FROM opening_hours oh
           WHERE oh.office_id = o.id AND oh.weekday = extract(isodow FROM d.day)
             AND NOT EXISTS (SELECT 1 FROM special_days sd
                              WHERE sd.office_id = o.id AND sd.days @> d.day)) h
   WHERE o.id = p_office
$$;
COMMENT ON FUNCTION kb_office_open (bigint, date, date) IS 'Opening intervals of an office over a range of its local dates (special days replace weekly hours) as one multirange of instants.';

-- Why a booking (or a candidate one) would break the rules; NULL if it
-- would not.  p_now is the server clock at which it is made or moved.
CREATE FUNCTION kb_booking_problem (p_caseworker bigint, p_service bigint,
                                    p_during tstzrange, p_now timestamptz)
  RETURNS text
  LANGUAGE plpgsql STABLE AS $$
DECLARE
  s services;
  c caseworkers;
  tz text;
BEGIN
  SELECT * INTO s FROM services WHERE id = p_service;
  SELECT * INTO c FROM caseworkers WHERE id = p_caseworker;
  SELECT time_zone INTO tz FROM offices WHERE id = c.office_id;
  IF NOT c.active THEN
    RETURN 'caseworker_inactive';
  END IF;
  IF upper(p_during) - lower(p_during) <> make_interval(mins => s.duration_min) THEN
    RETURN 'duration';
  END IF;
  IF lower(p_during) < p_now + make_interval(mins => s.notice_min) THEN
    RETURN 'notice';
  END IF;
  IF lower(p_during) > p_now + make_interval(days => s.horizon_days) THEN
    RETURN 'horizon';
  END IF;
  IF NOT kb_office_open(c.office_id,
                        (lower(p_during) AT TIME ZONE tz)::date - 1,
                        (upper(p_during) AT TIME ZONE tz)::date + 1) @> p_during THEN
    RETURN 'outside_hours';
  END IF;
  IF EXISTS (SELECT 1 FROM absences a
              WHERE a.caseworker_id = p_caseworker AND a.during && p_during) THEN
    RETURN 'absent';
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION kb_booking_problem (bigint, bigint, tstzrange, timestamptz) IS 'The rule a booking would break (caseworker_inactive, duration, notice, horizon, outside_hours, absent) or NULL.';

-- Runs when a booking is made, or its time, service or caseworker changes;
-- never on a status change, so a booking left outside new hours can still
-- be completed.  Also derives blocked from the service buffer.
CREATE FUNCTION kb_bookings_rules () RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  problem text;
  buffer integer;
  cap integer;
  live integer;
BEGIN
  SELECT buffer_min INTO buffer FROM services WHERE id = NEW.service_id;
  NEW.blocked := tstzrange(lower(NEW.during), upper(NEW.during) + make_interval(mins => buffer));
  problem := kb_booking_problem(NEW.caseworker_id, NEW.service_id, NEW.during,
                                coalesce(NEW.moved_at, NEW.created_at));
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'booking refused: %', problem
      USING ERRCODE = 'check_violation', DETAIL = problem;
  END IF;
  -- (generated columns are not computed yet in a BEFORE trigger)
  IF TG_OP = 'INSERT' AND kb_normalise_contact(NEW.seeker_contact) <> '' THEN
    SELECT value::integer INTO cap FROM settings WHERE key = 'max_live_bookings_per_contact';
    SELECT count(*) INTO live FROM bookings
     WHERE seeker_contact_norm = kb_normalise_contact(NEW.seeker_contact)
       AND status IN ('booked', 'waiting') AND upper(during) > NEW.created_at;
    IF live >= coalesce(cap, 3) THEN
      RAISE EXCEPTION 'booking refused: too many live bookings for this contact'
        USING ERRCODE = 'check_violation', DETAIL = 'contact_cap';
    END IF;
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION kb_bookings_rules () IS 'Trigger: derives blocked and refuses a booking outside opening hours, on a closure, during an absence, against notice or horizon, or over the per-contact cap.';

CREATE TRIGGER bookings_rules_insert BEFORE INSERT ON bookings
  FOR EACH ROW EXECUTE FUNCTION kb_bookings_rules();
CREATE TRIGGER bookings_rules_update BEFORE UPDATE OF during, caseworker_id, service_id ON bookings
  FOR EACH ROW
  WHEN (OLD.during IS DISTINCT FROM NEW.during
        OR OLD.caseworker_id IS DISTINCT FROM NEW.caseworker_id
        OR OLD.service_id IS DISTINCT FROM NEW.service_id)
  EXECUTE FUNCTION kb_bookings_rules();

-- ---- audit -------------------------------------------------------------

CREATE TABLE audit_log (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            timestamptz NOT NULL,
  caseworker_id bigint REFERENCES caseworkers,
  action        text NOT NULL,
  booking_id    bigint REFERENCES bookings,
  details       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
COMMENT ON TABLE audit_log IS 'What caseworkers and administrators did, and when (server clock).';
COMMENT ON COLUMN audit_log.id IS 'Surrogate key.';
COMMENT ON COLUMN audit_log.at IS 'Server clock of the action.';
COMMENT ON COLUMN audit_log.caseworker_id IS 'Who acted; NULL for the system (e.g. the no-show sweep).';
COMMENT ON COLUMN audit_log.action IS 'What, e.g. admit, complete, cancel, move, reassign.';
COMMENT ON COLUMN audit_log.booking_id IS 'The booking concerned, if any.';
COMMENT ON COLUMN audit_log.details IS 'Anything else worth keeping, as JSON (reason, old and new times).';

-- ---- free slots ----------------------------------------------------------

-- Free slots of a service on local dates [p_from, p_to] of each office (one
-- office, or all when p_office is NULL), for one caseworker or any.  The
-- grid starts at each opening interval and steps by duration + buffer in
-- absolute time, so a DST change neither drops nor doubles a slot.
CREATE FUNCTION kb_free_slots (p_now timestamptz, p_service bigint, p_office bigint,
                               p_caseworker bigint, p_language text,
                               p_from date, p_to date)
  RETURNS TABLE (office_id bigint, starts_at timestamptz, ends_at timestamptz,
                 caseworker_ids bigint[])
  LANGUAGE sql STABLE AS $$
  WITH s AS (
    SELECT id, make_interval(mins => duration_min) AS dur,
           make_interval(mins => duration_min + buffer_min) AS step,
           p_now + make_interval(mins => notice_min) AS earliest,
           p_now + make_interval(days => horizon_days) AS latest,
           languages
      FROM services WHERE id = p_service),
  grid AS (
    SELECT o.id AS office_id, t.t0
      FROM offices o, s,
           LATERAL unnest(kb_office_open(o.id, p_from, p_to)) r,
           LATERAL generate_series(lower(r), upper(r) - s.dur, s.step) t(t0)
     WHERE (p_office IS NULL OR o.id = p_office)
       AND (p_language IS NULL OR cardinality(s.languages) = 0 OR p_language = ANY (s.languages)))
  SELECT g.office_id, g.t0, g.t0 + s.dur, array_agg(c.id ORDER BY c.id)
    FROM grid g, s, caseworkers c
   WHERE c.office_id = g.office_id AND c.active
     AND (p_caseworker IS NULL OR c.id = p_caseworker)
     AND (p_language IS NULL OR p_language = ANY (c.languages))
     AND g.t0 >= s.earliest AND g.t0 <= s.latest
     AND NOT EXISTS (SELECT 1 FROM bookings b
                      WHERE b.caseworker_id = c.id AND b.status <> 'cancelled'
                        AND b.blocked && tstzrange(g.t0, g.t0 + s.step))
     AND NOT EXISTS (SELECT 1 FROM absences a
                      WHERE a.caseworker_id = c.id AND a.during && tstzrange(g.t0, g.t0 + s.dur))
   GROUP BY g.office_id, g.t0, s.dur
   ORDER BY g.t0, g.office_id
$$;
COMMENT ON FUNCTION kb_free_slots (timestamptz, bigint, bigint, bigint, text, date, date) IS 'Free slots (start, end, free caseworkers) of a service per office over local dates, DST-correct.';

-- Books a slot with the named caseworker, or with the least-loaded free one
-- of the office that local day; if a concurrent booking takes that one, the
-- next.  Raises 23P01 only when no caseworker is left.  Returns the id.
CREATE FUNCTION kb_book (p_now timestamptz, p_service bigint, p_office bigint,
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
      WHEN exclusion_violation THEN
        GET STACKED DIAGNOSTICS constraint_name = CONSTRAINT_NAME;
        IF constraint_name = 'bookings_seeker_overlap' THEN
          RAISE EXCEPTION 'you already have a booking at that time'
            USING ERRCODE = 'check_violation', DETAIL = 'seeker_overlap';
        END IF;
        -- taken by someone else (or a race): try the next caseworker
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
COMMENT ON FUNCTION kb_book (timestamptz, bigint, bigint, bigint, timestamptz, text, bytea, text, text, text, text, boolean) IS 'Books a slot for a named or the least-loaded free caseworker, retrying the next one on a race.';

-- ---- cancel, move, sweep -------------------------------------------------

-- Cancels a booking by its link (p_token_hash; the job seeker, only while
-- booked and not yet started) or by id for a caseworker of its office
-- (p_caseworker, with a reason; also while waiting).  Returns the outcome
-- ('ok', 'not_found', 'forbidden', 'state') and the booking id.
CREATE FUNCTION kb_cancel (p_now timestamptz, p_token_hash bytea, p_booking bigint,
                           p_caseworker bigint, p_reason text)
  RETURNS TABLE (outcome text, booking_id bigint)
  LANGUAGE plpgsql AS $$
DECLARE
  b bookings;
  same_office boolean;
BEGIN
  IF p_token_hash IS NOT NULL THEN
    SELECT * INTO b FROM bookings WHERE token_hash = p_token_hash FOR UPDATE;
  ELSE
    SELECT * INTO b FROM bookings WHERE id = p_booking FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found', NULL::bigint;
    RETURN;
  END IF;
  IF p_caseworker IS NOT NULL THEN
    SELECT (SELECT office_id FROM caseworkers WHERE id = p_caseworker AND active)
           = (SELECT office_id FROM caseworkers WHERE id = b.caseworker_id)
      INTO same_office;
    IF NOT coalesce(same_office, false) THEN
      RETURN QUERY SELECT 'forbidden', b.id;
      RETURN;
    END IF;
    IF b.status NOT IN ('booked', 'waiting') THEN
      RETURN QUERY SELECT 'state', b.id;
      RETURN;
    END IF;
  ELSIF b.status <> 'booked' OR lower(b.during) <= p_now THEN
    RETURN QUERY SELECT 'state', b.id;
    RETURN;
  END IF;
  UPDATE bookings
     SET status = 'cancelled', cancelled_at = p_now, status_changed_at = p_now,
         sequence = sequence + 1, cancel_reason = p_reason, cancelled_by = p_caseworker
   WHERE id = b.id;
  IF p_caseworker IS NOT NULL THEN
    INSERT INTO audit_log (at, caseworker_id, action, booking_id, details)
    VALUES (p_now, p_caseworker, 'cancel', b.id, jsonb_build_object('reason', p_reason));
  END IF;
  RETURN QUERY SELECT 'ok', b.id;
END $$;
COMMENT ON FUNCTION kb_cancel (timestamptz, bytea, bigint, bigint, text) IS 'Cancels by link (job seeker) or by id (caseworker of the office, audited).';

-- Moves a booked, not yet started booking (by link) to p_start with the
-- same caseworker.  The trigger checks the rules against p_now and the
-- exclusion constraints the overlaps (23P01 = slot taken).
CREATE FUNCTION kb_move (p_now timestamptz, p_token_hash bytea, p_start timestamptz)
  RETURNS TABLE (outcome text, booking_id bigint)
  LANGUAGE plpgsql AS $$
DECLARE
  b bookings;
BEGIN
  SELECT * INTO b FROM bookings WHERE token_hash = p_token_hash FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found', NULL::bigint;
    RETURN;
  END IF;
  IF b.status <> 'booked' OR lower(b.during) <= p_now THEN
    RETURN QUERY SELECT 'state', b.id;
    RETURN;
  END IF;
  UPDATE bookings
     SET during = tstzrange(p_start, p_start + (upper(b.during) - lower(b.during))),
         moved_at = p_now, sequence = sequence + 1
   WHERE id = b.id;
  RETURN QUERY SELECT 'ok', b.id;
END $$;
COMMENT ON FUNCTION kb_move (timestamptz, bytea, timestamptz) IS 'Moves a booking by link to a new start; rules and overlaps checked by the database.';

-- Closes bookings whose time has passed: never checked in before the
-- late-entry window closed → no_show; checked in but never admitted by the
-- booked end → not_admitted (a case for follow-up, never a no-show).
CREATE FUNCTION kb_close_overdue (p_now timestamptz) RETURNS integer
  LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  WITH closed AS (
    UPDATE bookings b
       SET status = CASE b.status WHEN 'booked' THEN 'no_show'::booking_status
                                  ELSE 'not_admitted'::booking_status END,
           ended_at = p_now, status_changed_at = p_now
      FROM services s
     WHERE s.id = b.service_id
       AND ((b.status = 'booked'
             AND lower(b.during) + make_interval(mins => s.join_after_min) < p_now)
            OR (b.status = 'waiting' AND upper(b.during) <= p_now))
    RETURNING b.id, b.status)
  INSERT INTO audit_log (at, caseworker_id, action, booking_id)
  SELECT p_now, NULL, closed.status::text, closed.id FROM closed;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
COMMENT ON FUNCTION kb_close_overdue (timestamptz) IS 'Marks overdue bookings no_show (never checked in) or not_admitted (checked in, never admitted); returns how many.';

-- Live future bookings of an office that today's rules would refuse
-- (hours changed, a closure, an absence, a deactivated caseworker): the
-- administrator's list to reassign or cancel.  Notice and horizon are not
-- re-checked (p_now NULL in kb_booking_problem).
CREATE FUNCTION kb_office_conflicts (p_office bigint, p_now timestamptz)
  RETURNS TABLE (booking_id bigint, problem text)
  LANGUAGE sql STABLE AS $$
  SELECT b.id, kb_booking_problem(b.caseworker_id, b.service_id, b.during, NULL)
    FROM bookings b JOIN caseworkers c ON c.id = b.caseworker_id
   WHERE c.office_id = p_office AND b.status = 'booked' AND lower(b.during) > p_now
     AND kb_booking_problem(b.caseworker_id, b.service_id, b.during, NULL) IS NOT NULL
   ORDER BY lower(b.during), b.id
$$;
COMMENT ON FUNCTION kb_office_conflicts (bigint, timestamptz) IS 'Future booked meetings of an office that break the current hours, closures, absences or caseworker status.';

-- ---- statistics ----------------------------------------------------------

-- Per local day of an office: bookings by outcome, wait from check-in to
-- admit (median, 90th percentile, seconds) and the share of caseworker
-- opening time that was booked (live bookings / (open time × active
-- caseworkers)).
CREATE FUNCTION kb_office_stats (p_office bigint, p_from date, p_to date)
  RETURNS TABLE (day date, booked bigint, completed bigint, cancelled bigint,
                 no_show bigint, not_admitted bigint,
                 wait_median_s double precision, wait_p90_s double precision,
                 booked_share double precision)
  LANGUAGE sql STABLE AS $$
  WITH o AS (SELECT time_zone AS tz FROM offices WHERE id = p_office),
  days AS (SELECT g::date AS day FROM generate_series(p_from, p_to, interval '1 day') g),
  b AS (
    SELECT bk.*, (lower(bk.during) AT TIME ZONE o.tz)::date AS day,
           extract(epoch FROM bk.admitted_at - bk.checked_in_at)::double precision AS wait_s
      FROM bookings bk JOIN caseworkers c ON c.id = bk.caseworker_id, o
     WHERE c.office_id = p_office
       AND lower(bk.during) >= (p_from::timestamp AT TIME ZONE o.tz)
       AND lower(bk.during) < ((p_to + 1)::timestamp AT TIME ZONE o.tz)),
  capacity AS (
    SELECT d.day,
           (SELECT coalesce(sum(extract(epoch FROM upper(r) - lower(r))), 0)
              FROM unnest(kb_office_open(p_office, d.day, d.day)) r)
           * (SELECT count(*) FROM caseworkers WHERE office_id = p_office AND active) AS open_s
      FROM days d)
  SELECT d.day,
         count(b.id) FILTER (WHERE b.status <> 'cancelled'),
         count(b.id) FILTER (WHERE b.status = 'completed'),
         count(b.id) FILTER (WHERE b.status = 'cancelled'),
         count(b.id) FILTER (WHERE b.status = 'no_show'),
         count(b.id) FILTER (WHERE b.status = 'not_admitted'),
         percentile_cont(0.5) WITHIN GROUP (ORDER BY b.wait_s) FILTER (WHERE b.wait_s IS NOT NULL),
         percentile_cont(0.9) WITHIN GROUP (ORDER BY b.wait_s) FILTER (WHERE b.wait_s IS NOT NULL),
         CASE WHEN max(cap.open_s) > 0 THEN
           coalesce(sum(extract(epoch FROM upper(b.during) - lower(b.during)))
                      FILTER (WHERE b.status <> 'cancelled'), 0) / max(cap.open_s)
         END
    FROM days d
    JOIN capacity cap ON cap.day = d.day
    LEFT JOIN b ON b.day = d.day
   GROUP BY d.day
   ORDER BY d.day
$$;
COMMENT ON FUNCTION kb_office_stats (bigint, date, date) IS 'Visit volumes per local day of an office: outcomes, wait median/p90, booked share of opening time.';

-- ---- booking_view: the new columns ---------------------------------------

CREATE OR REPLACE VIEW booking_view AS
SELECT b.id, b.reference, b.token_hash, b.seeker_name, b.seeker_contact,
       s.name AS service_name, b.language,
       b.caseworker_id, c.name AS caseworker_name,
       o.id AS office_id, o.name AS office_name, o.time_zone AS office_tz,
       kb_us(lower(b.during)) AS starts_us, kb_us(upper(b.during)) AS ends_us,
       s.join_before_min * 60 AS join_before_s, s.join_after_min * 60 AS join_after_s,
       b.status,
       kb_us(b.checked_in_at) AS checked_in_us, kb_us(b.admitted_at) AS admitted_us,
       kb_us(b.ended_at) AS ended_us,
       b.sequence, b.interpreter, b.service_id, o.address AS office_address,
       kb_us(b.created_at) AS created_us, kb_us(b.cancelled_at) AS cancelled_us,
       b.cancel_reason
  FROM bookings b
  JOIN services s ON s.id = b.service_id
  JOIN caseworkers c ON c.id = b.caseworker_id
  JOIN offices o ON o.id = c.office_id;
COMMENT ON COLUMN booking_view.sequence IS 'bookings.sequence (iCalendar SEQUENCE).';
COMMENT ON COLUMN booking_view.interpreter IS 'bookings.interpreter';
COMMENT ON COLUMN booking_view.service_id IS 'bookings.service_id';
COMMENT ON COLUMN booking_view.office_address IS 'offices.address';
COMMENT ON COLUMN booking_view.created_us IS 'created_at in µs.';
COMMENT ON COLUMN booking_view.cancelled_us IS 'cancelled_at in µs, NULL if not cancelled.';
COMMENT ON COLUMN booking_view.cancel_reason IS 'bookings.cancel_reason';

COMMIT;
