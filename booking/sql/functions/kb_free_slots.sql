-- kb_free_slots: its current definition, the only place to change it.  `kontor
-- migrate` runs this file again when it changes (booking/README.md,
-- "Functions").  Earlier versions: migrations 002, 005, 011.
CREATE OR REPLACE FUNCTION public.kb_free_slots(p_now timestamp with time zone, p_service bigint, p_office bigint, p_caseworker bigint, p_language text, p_from date, p_to date)
 RETURNS TABLE(office_id bigint, starts_at timestamp with time zone, ends_at timestamp with time zone, caseworker_ids bigint[])
 LANGUAGE sql
 STABLE
AS $function$
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
$function$
;
COMMENT ON FUNCTION kb_free_slots(timestamp with time zone,bigint,bigint,bigint,text,date,date) IS 'Free slots (start, end, free caseworkers) of a service per office over local dates, DST-correct.';
