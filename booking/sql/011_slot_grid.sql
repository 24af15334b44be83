-- 011_slot_grid.sql — only a time the slot search offers can be booked or
-- moved to.  Before, kb_book and kb_move took any instant inside the
-- opening hours (09:05, 10:00:00.5), so a client could book between the
-- offered slots and leave gaps no one else could book.
--
-- The grid is now one function, kb_slot_grid, used both by kb_free_slots
-- (what is offered) and by kb_off_grid (what kb_book and kb_move refuse
-- with DETAIL 'not_a_slot').  It is defined per local date so that it does
-- not depend on the dates a search asks for: on each date the grid starts
-- where an opening interval starts, or at local midnight when the interval
-- runs on from the day before (an office open round the clock), and steps
-- by duration + buffer in absolute time, so DST changes neither drop nor
-- double a slot (the repeated autumn hour has its own slots).  For hours
-- within a day this is the grid kb_free_slots used before.
--
-- The rule is checked where a booking is made or moved by a client, in
-- kb_book and kb_move (wrapping the earlier ones), not in the bookings
-- trigger: a reassignment keeps its time even when the hours or the
-- service's length changed since, and the demo data seeds a booking that
-- starts in two minutes.

BEGIN;

INSERT INTO schema_version (version, name) VALUES (11, '011_slot_grid');

-- Slot starts on local dates [p_from, p_to] in zone p_tz, given the open
-- instants (kb_office_open over at least [p_from - 1, p_to + 1]).
CREATE FUNCTION kb_slot_grid (p_open tstzmultirange, p_tz text, p_from date, p_to date,
                              p_dur interval, p_step interval)
  RETURNS SETOF timestamptz
  LANGUAGE sql STABLE AS $$
  SELECT t.t0
    FROM generate_series(0, p_to - p_from) i,
         LATERAL (SELECT tstzrange((p_from + i)::timestamp AT TIME ZONE p_tz,
                                   (p_from + i + 1)::timestamp AT TIME ZONE p_tz) AS day) d,
         LATERAL unnest(p_open) r,
         LATERAL generate_series(greatest(lower(r), lower(d.day)), upper(r) - p_dur, p_step) t(t0)
   WHERE r && d.day AND t.t0 < upper(d.day)
$$;
COMMENT ON FUNCTION kb_slot_grid (tstzmultirange, text, date, date, interval, interval) IS 'Slot starts of local dates: from each opening interval''s start (or local midnight when it runs on from the day before) every duration + buffer.';

-- True when a meeting of the service starting at p_start would lie inside
-- the office's opening hours but p_start is not a slot start.  (Outside the
-- hours the trigger's 'outside_hours' says more.)
CREATE FUNCTION kb_off_grid (p_office bigint, p_service bigint, p_start timestamptz)
  RETURNS boolean
  LANGUAGE sql STABLE AS $$
  SELECT h.open @> tstzrange(p_start, p_start + make_interval(mins => s.duration_min))
         AND NOT EXISTS (
           SELECT 1
             FROM kb_slot_grid(h.open, o.time_zone, x.day, x.day,
                               make_interval(mins => s.duration_min),
                               make_interval(mins => s.duration_min + s.buffer_min)) g(t0)
            WHERE g.t0 = p_start)
    FROM offices o, services s,
         LATERAL (SELECT (p_start AT TIME ZONE o.time_zone)::date AS day) x,
         LATERAL (SELECT kb_office_open(o.id, x.day - 1, x.day + 1) AS open) h
   WHERE o.id = p_office AND s.id = p_service
$$;
COMMENT ON FUNCTION kb_off_grid (bigint, bigint, timestamptz) IS 'Whether a start inside the opening hours is between the offered slot starts (kb_slot_grid).';

CREATE OR REPLACE FUNCTION kb_free_slots (p_now timestamptz, p_service bigint, p_office bigint,
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
  open AS MATERIALIZED (
    SELECT o.id AS office_id, o.time_zone, kb_office_open(o.id, p_from - 1, p_to + 1) AS hours
      FROM offices o, s
     WHERE (p_office IS NULL OR o.id = p_office)
       AND (p_language IS NULL OR cardinality(s.languages) = 0 OR p_language = ANY (s.languages))),
  -- once per search, not once per caseworker (the planner would)
  grid AS MATERIALIZED (
    SELECT open.office_id, t.t0
      FROM open, s,
           LATERAL kb_slot_grid(open.hours, open.time_zone, p_from, p_to, s.dur, s.step) t(t0)
     WHERE t.t0 >= s.earliest AND t.t0 <= s.latest),
  win AS (
    SELECT open.office_id,
           tstzrange(lower(open.hours), upper(open.hours) + s.step) AS w
      FROM open, s
     WHERE NOT isempty(open.hours)),
  cw AS MATERIALIZED (
    SELECT c.id, c.office_id,
           coalesce((SELECT range_agg(b.blocked) FROM bookings b
                      WHERE b.caseworker_id = c.id AND b.status <> 'cancelled'
                        AND b.blocked && win.w), '{}'::tstzmultirange) AS busy,
           coalesce((SELECT range_agg(a.during) FROM absences a
                      WHERE a.caseworker_id = c.id AND a.during && win.w), '{}'::tstzmultirange) AS away
      FROM caseworkers c JOIN win ON win.office_id = c.office_id
     WHERE c.active
       AND (p_caseworker IS NULL OR c.id = p_caseworker)
       AND (p_language IS NULL OR p_language = ANY (c.languages)))
  SELECT g.office_id, g.t0, g.t0 + s.dur, array_agg(cw.id ORDER BY cw.id)
    FROM grid g, s, cw
   WHERE cw.office_id = g.office_id
     AND NOT cw.busy && tstzrange(g.t0, g.t0 + s.step)
     AND NOT cw.away && tstzrange(g.t0, g.t0 + s.dur)
   GROUP BY g.office_id, g.t0, s.dur
   ORDER BY g.t0, g.office_id
$$;

-- kb_book and kb_move refuse a start between the offered slots first, and
-- then do what they did (003, 002), under the name *_unchecked: wrapped,
-- not copied, so their bodies stay in one place.  A booking or move that
-- is refused for another reason as well (no such office, not movable any
-- more) keeps that reason: kb_off_grid is NULL, not true, without an
-- office and service, and a booking that cannot be moved is not checked.
ALTER FUNCTION kb_book (timestamptz, bigint, bigint, bigint, timestamptz, text, bytea, text, text, text, text, boolean)
  RENAME TO kb_book_unchecked;
ALTER FUNCTION kb_move (timestamptz, bytea, timestamptz) RENAME TO kb_move_unchecked;

CREATE FUNCTION kb_book (p_now timestamptz, p_service bigint, p_office bigint,
                         p_caseworker bigint, p_start timestamptz,
                         p_reference text, p_token_hash bytea, p_kiosk_hash text,
                         p_name text, p_contact text, p_language text,
                         p_interpreter boolean)
  RETURNS bigint
  LANGUAGE plpgsql AS $$
BEGIN
  IF kb_off_grid(p_office, p_service, p_start) THEN
    RAISE EXCEPTION 'not one of the offered times' USING ERRCODE = 'check_violation', DETAIL = 'not_a_slot';
  END IF;
  RETURN kb_book_unchecked(p_now, p_service, p_office, p_caseworker, p_start, p_reference,
                           p_token_hash, p_kiosk_hash, p_name, p_contact, p_language, p_interpreter);
END $$;
COMMENT ON FUNCTION kb_book (timestamptz, bigint, bigint, bigint, timestamptz, text, bytea, text, text, text, text, boolean) IS 'Books an offered slot (not_a_slot otherwise) for a named or the least-loaded free caseworker (kb_book_unchecked).';

CREATE FUNCTION kb_move (p_now timestamptz, p_token_hash bytea, p_start timestamptz)
  RETURNS TABLE (outcome text, booking_id bigint)
  LANGUAGE plpgsql AS $$
DECLARE
  v_office bigint;
  v_service bigint;
BEGIN
  SELECT c.office_id, b.service_id INTO v_office, v_service
    FROM bookings b JOIN caseworkers c ON c.id = b.caseworker_id
   WHERE b.token_hash = p_token_hash AND b.status = 'booked' AND lower(b.during) > p_now;
  IF FOUND AND kb_off_grid(v_office, v_service, p_start) THEN
    RAISE EXCEPTION 'not one of the offered times' USING ERRCODE = 'check_violation', DETAIL = 'not_a_slot';
  END IF;
  RETURN QUERY SELECT * FROM kb_move_unchecked(p_now, p_token_hash, p_start);
END $$;
COMMENT ON FUNCTION kb_move (timestamptz, bytea, timestamptz) IS 'Moves a booking by link to a new offered start (not_a_slot otherwise; kb_move_unchecked).';

COMMIT;
