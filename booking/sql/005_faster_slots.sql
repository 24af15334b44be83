-- 005_faster_slots.sql — kb_free_slots, same answers, faster: each
-- caseworker's bookings and absences in the searched window are folded
-- into one multirange first (one index probe per caseworker), and each
-- candidate slot is then tested against it, instead of joining every
-- candidate with every booking (200 ms → a few ms for 50 caseworkers and a
-- week, tests/bench/booking).

BEGIN;

INSERT INTO schema_version (version, name) VALUES (5, '005_faster_slots');

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
    SELECT o.id AS office_id, kb_office_open(o.id, p_from, p_to) AS hours
      FROM offices o, s
     WHERE (p_office IS NULL OR o.id = p_office)
       AND (p_language IS NULL OR cardinality(s.languages) = 0 OR p_language = ANY (s.languages))),
  grid AS (
    SELECT open.office_id, t.t0
      FROM open, s,
           LATERAL unnest(open.hours) r,
           LATERAL generate_series(lower(r), upper(r) - s.dur, s.step) t(t0)
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

COMMIT;
